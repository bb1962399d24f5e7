// Audit: the history of a record, an owner or a recipient, rebuilt from the program's events
// on chain (no server keeps it), in order, with block times and each cheating node named.

import { useState } from 'preact/hooks';
import type { AuditEntry } from '../chain/medshare';
import { useAction, useSession } from './session';

type TargetKind = 'record' | 'owner' | 'recipient';

export function Audit() {
  const session = useSession();
  const { medshare } = session;
  const [address, setAddress] = useState('');
  const [kind, setKind] = useState<TargetKind>('record');
  const [history, setHistory] = useState<{ address: string; entries: AuditEntry[] } | null>(null);
  const load = useAction();

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const target = address.trim();
    void load.run(async () => {
      const entries = await medshare.audit({ [kind]: target });
      setHistory({ address: target, entries });
      session.announce(`Loaded ${entries.length} ${entries.length === 1 ? 'event' : 'events'} for ${target}`);
    });
  };

  return (
    <>
      <h2 tabIndex={-1}>Audit</h2>
      <section aria-labelledby="audit-heading" class="card">
        <h3 id="audit-heading">History from the chain</h3>
        <p class="small">Every share, partial re-encryption, revocation and rejected partial is an event the program emitted; anyone can read them.</p>
        <form onSubmit={onSubmit} class="form">
          <div class="field-row">
            <div class="field grow">
              <label for="audit-address">Address</label>
              <input
                id="audit-address"
                type="text"
                class="mono"
                autoComplete="off"
                spellcheck={false}
                required
                value={address}
                onInput={(e) => setAddress((e.currentTarget as HTMLInputElement).value)}
              />
            </div>
            <div class="field">
              <label for="audit-kind">Address of</label>
              <select id="audit-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as TargetKind)}>
                <option value="record">a record</option>
                <option value="owner">an owner</option>
                <option value="recipient">a recipient</option>
              </select>
            </div>
          </div>
          <div class="actions">
            <button type="submit" disabled={load.busy}>
              Load history
            </button>
          </div>
          {load.busy && <p>Loading…</p>}
        </form>
      </section>
      {history && <Timeline address={history.address} entries={history.entries} />}
    </>
  );
}

function Timeline({ address, entries }: { address: string; entries: AuditEntry[] }) {
  return (
    <section aria-labelledby="timeline-heading" class="card">
      <h3 id="timeline-heading" class="break">
        History of {address}
      </h3>
      {entries.length === 0 ? (
        <p class="empty">No history for this address</p>
      ) : (
        <ol aria-label="History" class="timeline">
          {entries.map((entry, index) => (
            <li key={index} class={entry.cheater ? 'cheat' : undefined}>
              <div class="when">
                {entry.blockTime !== null ? (
                  <time dateTime={new Date(entry.blockTime * 1000).toISOString()}>{new Date(entry.blockTime * 1000).toLocaleString()}</time>
                ) : (
                  <span>no block time</span>
                )}
                <span class="small"> · slot {String(entry.slot)}</span>
              </div>
              <div class="what">
                <strong class="event">{entry.event}</strong>
                {entry.cheater && (
                  <p class="cheater">
                    cheater: node {entry.cheater.nodeIndex} <span class="address">({entry.cheater.authority})</span>
                  </p>
                )}
                {Object.keys(entry.fields).length > 0 && (
                  <dl class="fields">
                    {Object.entries(entry.fields).map(([name, value]) => (
                      <div key={name}>
                        <dt>{name}</dt>
                        <dd class="address">{value}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                <p class="small">
                  transaction <span class="address">{entry.signature}</span>
                </p>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
