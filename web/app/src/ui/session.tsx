// What every view shares: the loaded data layer, the connected wallet, the unlocked key and
// the two message areas (a polite live region for progress and success, an alert for errors).

import { createContext } from 'preact';
import { useCallback, useContext, useState } from 'preact/hooks';
import type { MedShare, Progress, UnlockedKey } from '../chain/medshare';
import type { Connection } from './wallet';

/** The app's shared state, as the views see it. */
export interface Session {
  medshare: MedShare;
  connection: Connection | null;
  /** The user key, once the wallet has signed for it in this page. */
  key: UnlockedKey | null;
  /** The user key, asking the wallet to sign twice if it is not unlocked yet. */
  ensureKey(): Promise<UnlockedKey>;
  /** Says `message` in the status live region. */
  announce(message: string): void;
  /** Shows `error` in the alert, named (see `describeError`). */
  fail(error: unknown): void;
  /** Removes the alert (a new action starts). */
  clearAlert(): void;
}

export const SessionContext = createContext<Session | null>(null);

/** The session; the views are only rendered inside its provider. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the SessionContext provider');
  return session;
}

/** Progress of a long operation as the data layer reports it. */
export interface ProgressState {
  done: number;
  total: number;
  phase: string;
}

/**
 * Runs one user action at a time: clears the alert, marks the action busy, reports progress,
 * and turns a failure into the named alert. Returns whether it succeeded.
 */
export function useAction(): {
  busy: boolean;
  progress: ProgressState | null;
  run: (action: (progress: Progress) => Promise<void>) => Promise<boolean>;
} {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<ProgressState | null>(null);
  const run = useCallback(
    async (action: (progress: Progress) => Promise<void>) => {
      session.clearAlert();
      setBusy(true);
      setProgress(null);
      try {
        await action((done, total, phase) => setProgress({ done, total, phase }));
        return true;
      } catch (error) {
        session.fail(error);
        return false;
      } finally {
        setBusy(false);
        setProgress(null);
      }
    },
    [session],
  );
  return { busy, progress, run };
}

/** A labelled progress bar with the phase in words next to it. */
export function ProgressBar({ label, progress }: { label: string; progress: ProgressState | null }) {
  const determinate = progress !== null && progress.total > 0;
  return (
    <div class="progress">
      {determinate ? (
        <progress aria-label={label} max={progress.total} value={progress.done} />
      ) : (
        <progress aria-label={label} />
      )}
      <span class="progress-phase">
        {progress ? (progress.total > 0 ? `${progress.phase} (${progress.done} of ${progress.total})` : progress.phase) : 'Working…'}
      </span>
    </div>
  );
}

/** Shown in place of a view that needs a connected wallet. */
export function ConnectFirst({ what }: { what: string }) {
  return <p class="empty">Connect a wallet to {what}.</p>;
}
