// The page: header (wallet), navigation, the two message areas and the current section.

import type { Wallet } from '@wallet-standard/base';
import type { IdentifierString } from '@wallet-standard/base';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type AppConfig, type MedShare, MedShareError, type UnlockedKey } from '../chain/medshare';
import { Audit } from './Audit';
import { describeError } from './format';
import { Home } from './Home';
import { Records } from './Records';
import { type Session, SessionContext } from './session';
import { SharedWithMe } from './SharedWithMe';
import { type Connection, connect, disconnect, onAccountsChanged, watchWallets } from './wallet';

/** The sections, by the hash that shows them. */
const SECTIONS = [
  { hash: '#/', label: 'Home' },
  { hash: '#/records', label: 'My records' },
  { hash: '#/shared', label: 'Shared with me' },
  { hash: '#/audit', label: 'Audit' },
] as const;
type SectionHash = (typeof SECTIONS)[number]['hash'];

function currentSection(): SectionHash {
  const hash = location.hash || '#/';
  return SECTIONS.find((section) => section.hash === hash)?.hash ?? '#/';
}

export function App({ medshare }: { medshare: MedShare }) {
  const [section, setSection] = useState<SectionHash>(currentSection);
  const [wallets, setWallets] = useState<Wallet[]>([]);
  const [choosing, setChoosing] = useState(false);
  const [connection, setConnection] = useState<Connection | null>(null);
  const [key, setKey] = useState<UnlockedKey | null>(null);
  // the secret is zeroised in the wasm module when the wallet goes, not left to the collector
  const dropKey = useCallback(
    () =>
      setKey((old) => {
        old?.forget();
        return null;
      }),
    [],
  );
  useEffect(() => {
    addEventListener('pagehide', dropKey);
    return () => removeEventListener('pagehide', dropKey);
  }, [dropKey]);
  const [status, setStatus] = useState('');
  const [alert, setAlert] = useState<string | null>(null);
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => watchWallets(setWallets), []);
  useEffect(() => {
    const follow = () => setSection(currentSection());
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  // a new section (not the first one shown): its heading is where the keyboard continues
  const firstSection = useRef(true);
  useEffect(() => {
    if (firstSection.current) {
      firstSection.current = false;
      return;
    }
    mainRef.current?.querySelector('h2')?.focus();
  }, [section]);
  // The wallet switched or dropped the account: the key belonged to the old one.
  useEffect(() => {
    if (!connection) return;
    return onAccountsChanged(connection.wallet, (accounts) => {
      if (!accounts.some((account) => account.address === connection.account.address)) {
        setConnection(null);
        dropKey();
        setStatus(`${connection.wallet.name} no longer shares ${connection.account.address}: disconnected`);
      }
    });
  }, [connection]);

  const chain = (medshare.config.chain ?? 'solana:localnet') as IdentifierString;
  const announce = useCallback((message: string) => setStatus(message), []);
  const fail = useCallback((error: unknown) => {
    setAlert(describeError(error));
    setStatus('');
  }, []);
  const clearAlert = useCallback(() => setAlert(null), []);

  const session: Session = useMemo(
    () => ({
      medshare,
      connection,
      key,
      announce,
      fail,
      clearAlert,
      async ensureKey() {
        if (key) return key;
        if (!connection) throw new MedShareError('NotConnected', 'connect a wallet first');
        announce(`Asking ${connection.wallet.name} to sign twice to unlock your encryption key…`);
        const unlocked = await medshare.unlockKey(connection.signer);
        setKey(unlocked);
        announce('Encryption key unlocked');
        return unlocked;
      },
    }),
    [medshare, connection, key, announce, fail, clearAlert],
  );

  async function choose(wallet: Wallet) {
    setChoosing(false);
    clearAlert();
    try {
      const connected = await connect(wallet, chain);
      dropKey();
      setConnection(connected);
      announce(`Connected ${wallet.name}`);
    } catch (error) {
      fail(error);
    }
  }

  async function leave() {
    if (!connection) return;
    const { wallet } = connection;
    setConnection(null);
    dropKey();
    announce(`Disconnected ${wallet.name}`);
    try {
      await disconnect(wallet);
    } catch (error) {
      fail(error);
    }
  }

  return (
    <SessionContext.Provider value={session}>
      {/* not a plain #main link: the hash is the section route */}
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <h1 class="brand">
          <span class="logo" aria-hidden="true">
            ✚
          </span>
          MedShare
        </h1>
        <div class="wallet">
          {connection ? (
            <>
              <span class="wallet-name">{connection.wallet.name}</span>
              <p role="note" aria-label="Connected wallet" class="address">
                {connection.account.address}
              </p>
              <button type="button" class="secondary" onClick={leave}>
                Disconnect
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setChoosing(true)}>
              Connect wallet
            </button>
          )}
        </div>
      </header>
      <nav aria-label="Sections" class="sections">
        <ul>
          {SECTIONS.map((item) => (
            <li key={item.hash}>
              <a href={item.hash} aria-current={section === item.hash ? 'page' : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <div class="messages">
          <div role="status" class={status ? 'status' : 'status empty-status'}>
            {status}
          </div>
          {alert && (
            <div class="alert">
              <div role="alert">{alert}</div>
              <button type="button" class="link" onClick={clearAlert}>
                Dismiss
              </button>
            </div>
          )}
        </div>
        {section === '#/' && <Home />}
        {section === '#/records' && <Records />}
        {section === '#/shared' && <SharedWithMe />}
        {section === '#/audit' && <Audit />}
        {choosing && <WalletChooser wallets={wallets} onChoose={choose} onCancel={() => setChoosing(false)} />}
      </main>
      <footer class="bottom">
        <p>
          Program <code>{medshare.config.programId}</code> · cluster <code>{medshare.config.cluster}</code> · RPC <code>{medshare.config.rpcUrl}</code>
        </p>
        <p>Your records are sealed and opened in this page; only the RPC node and the blob store are contacted.</p>
      </footer>
    </SessionContext.Provider>
  );
}

/** The modal "Choose a wallet" dialog (a native <dialog>: focus trap and Escape for free). */
function WalletChooser({ wallets, onChoose, onCancel }: { wallets: Wallet[]; onChoose: (wallet: Wallet) => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="wallet-dialog-title" class="dialog" onCancel={onCancel}>
      <h2 id="wallet-dialog-title">Choose a wallet</h2>
      {wallets.length === 0 ? (
        <p>No wallet found. Install a Solana wallet that supports the Wallet Standard (Phantom, Solflare, Backpack…) and reload this page.</p>
      ) : (
        <ul class="wallet-list">
          {wallets.map((wallet) => (
            <li key={wallet.name}>
              <button type="button" class="wallet-choice" onClick={() => onChoose(wallet)}>
                {wallet.icon && <img src={wallet.icon} alt="" width={24} height={24} />}
                {wallet.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" class="secondary" onClick={onCancel}>
        Cancel
      </button>
    </dialog>
  );
}
