// My records: store a FHIR file (sealed in this page), the list of my records with, per row,
// sharing (recipient + expiry), the access list (partials k of t, status, revoke), re-key
// and opening my own record.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { MedShareError, type RecordSummary, type RequestSummary } from '../chain/medshare';
import { Expiry } from './Expiry';
import { OpenedRecordView, type OpenedRecord } from './FhirView';
import { EXPIRY_CHOICES, datetimeLocalValue, newestFirst, formatBytes, STATUS_WORDS } from './format';
import { QrScanner, canScanQr } from './QrScanner';
import { ConnectFirst, ProgressBar, useAction, useSession } from './session';

/** How often a list with requests still waiting for the nodes is read again. */
const POLL_MS = 2000;

/** A heading that takes the focus (and scrolls into view) when its panel opens from a row. */
function useFocusOnMount() {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return heading;
}

/** Which panel a row opened under the table. */
type Panel = { kind: 'share' | 'access'; record: RecordSummary } | null;

export function Records() {
  const { medshare, connection, fail } = useSession();
  const [records, setRecords] = useState<RecordSummary[] | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [opened, setOpened] = useState<OpenedRecord | null>(null);
  const owner = connection?.account.address;

  const reload = useCallback(async () => {
    if (!owner) return;
    try {
      setRecords(await medshare.myRecords(owner));
    } catch (error) {
      fail(error);
      setRecords((previous) => previous ?? []);
    }
  }, [medshare, owner, fail]);
  useEffect(() => {
    setRecords(null);
    setPanel(null);
    setOpened(null);
    void reload();
  }, [reload]);

  if (!owner) {
    return (
      <>
        <h2 tabIndex={-1}>My records</h2>
        <ConnectFirst what="store and share your records" />
      </>
    );
  }
  return (
    <>
      <h2 tabIndex={-1}>My records</h2>
      <StoreRecord records={records ?? []} onStored={reload} />
      <RecordsTable records={records} onPanel={setPanel} onOpened={setOpened} onChanged={reload} />
      {panel?.kind === 'share' && <ShareForm key={panel.record.address} record={panel.record} onClose={() => setPanel(null)} />}
      {panel?.kind === 'access' && <AccessList key={panel.record.address} record={panel.record} onClose={() => setPanel(null)} />}
      {opened && <OpenedRecordView opened={opened} onClose={() => setOpened(null)} />}
    </>
  );
}

function StoreRecord({ records, onStored }: { records: RecordSummary[]; onStored: () => Promise<void> }) {
  const session = useSession();
  const { medshare, connection } = session;
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState('');
  const [versionOf, setVersionOf] = useState('new');
  const store = useAction();
  const latest = latestVersions(records);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void store.run(async (progress) => {
      const bytes = file ? new Uint8Array(await file.arrayBuffer()) : new TextEncoder().encode(text);
      if (bytes.length === 0) throw new MedShareError('NoRecord', 'choose a FHIR file or paste FHIR JSON');
      // refused here, before the wallet is asked anything, with the JSON path at fault
      const summary = medshare.validateFhir(bytes);
      const key = await session.ensureKey();
      session.announce(`Sealing a ${summary.resourceType} of ${formatBytes(bytes.length)} in this page…`);
      const stored =
        versionOf === 'new'
          ? await medshare.store(connection!.signer, key, bytes, progress)
          : await medshare.storeVersion(connection!.signer, key, BigInt(versionOf), bytes, progress);
      session.announce(`Stored record ${stored.recordId}, version ${stored.version}`);
      setFile(null);
      setText('');
      (event.target as HTMLFormElement).reset();
      await onStored();
    });
  };

  return (
    <section aria-labelledby="store-heading" class="card">
      <h3 id="store-heading">Store a record</h3>
      <form onSubmit={onSubmit} class="form">
        <p class="small">A FHIR R4 resource or Bundle, as JSON. It is checked, then sealed in this page before anything leaves it.</p>
        <div class="field">
          <label for="fhir-file">FHIR file</label>
          <input id="fhir-file" type="file" accept=".json,application/json,application/fhir+json" onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
        </div>
        <div class="field">
          <label for="fhir-json">FHIR JSON</label>
          <textarea
            id="fhir-json"
            rows={6}
            spellcheck={false}
            placeholder='{"resourceType": "Bundle", "type": "collection", "entry": [...]}'
            value={text}
            onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
            disabled={file !== null}
          />
          {file && <p class="small">The file {file.name} is used ({formatBytes(file.size)}).</p>}
        </div>
        {latest.length > 0 && (
          <div class="field">
            <label for="store-as">Store as</label>
            <select id="store-as" value={versionOf} onChange={(e) => setVersionOf((e.currentTarget as HTMLSelectElement).value)}>
              <option value="new">A new record</option>
              {latest.map((record) => (
                <option key={String(record.recordId)} value={String(record.recordId)}>
                  Version {record.version + 1} of record {String(record.recordId)}
                </option>
              ))}
            </select>
          </div>
        )}
        <div class="actions">
          <button type="submit" disabled={store.busy}>
            Seal and store
          </button>
        </div>
        {store.busy && <ProgressBar label="Sealing progress" progress={store.progress} />}
      </form>
    </section>
  );
}

/** The highest version of each record id. */
function latestVersions(records: RecordSummary[]): RecordSummary[] {
  const latest = new Map<bigint, RecordSummary>();
  for (const record of records) {
    const seen = latest.get(record.recordId);
    if (!seen || seen.version < record.version) latest.set(record.recordId, record);
  }
  return [...latest.values()].sort((a, b) => (a.recordId < b.recordId ? -1 : 1));
}

function RecordsTable({
  records,
  onPanel,
  onOpened,
  onChanged,
}: {
  records: RecordSummary[] | null;
  onPanel: (panel: Panel) => void;
  onOpened: (opened: OpenedRecord) => void;
  onChanged: () => Promise<void>;
}) {
  const session = useSession();
  const { medshare, connection } = session;
  const open = useAction();
  const rekey = useAction();
  const [working, setWorking] = useState<string | null>(null);

  const onOpen = (record: RecordSummary) => {
    setWorking(record.address);
    void open.run(async (progress) => {
      const key = await session.ensureKey();
      const bytes = await medshare.openOwn(key, record, progress);
      onOpened({ recordId: record.recordId, version: record.version, owner: connection!.account.address, bytes });
      session.announce(`Opened record ${record.recordId}, version ${record.version}`);
    });
  };
  const onRekey = (record: RecordSummary) => {
    setWorking(record.address);
    void rekey.run(async (progress) => {
      const key = await session.ensureKey();
      const updated = await medshare.rekey(connection!.signer, key, record, progress);
      session.announce(`Re-keyed record ${updated.recordId}, version ${updated.version} to epoch ${updated.sealedEpoch}`);
      await onChanged();
    });
  };

  return (
    <section aria-labelledby="records-heading" class="card">
      <h3 id="records-heading">Stored on chain</h3>
      {records === null ? (
        <p>Loading…</p>
      ) : records.length === 0 ? (
        <p class="empty">No records yet</p>
      ) : (
        <table class="reflow">
          <caption>My records</caption>
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Version</th>
              <th scope="col">Size</th>
              <th scope="col">Storage</th>
              <th scope="col">Epoch</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {records.map((record) => (
              <tr key={record.address}>
                <td data-label="Record">
                  <span title={record.address}>{String(record.recordId)}</span>
                </td>
                <td data-label="Version">{record.version}</td>
                <td data-label="Size">{formatBytes(record.length)}</td>
                <td data-label="Storage">{record.storage === 'blob' ? <span title={record.uri}>blob</span> : 'inline'}</td>
                <td data-label="Epoch">
                  {String(record.sealedEpoch)}
                  {record.needsRekey && <span class="badge waiting"> needs re-key</span>}
                </td>
                <td data-label="Actions" class="row-actions">
                  <button type="button" class="small-button" onClick={() => onPanel({ kind: 'share', record })}>
                    Share
                  </button>
                  <button type="button" class="small-button secondary" onClick={() => onPanel({ kind: 'access', record })}>
                    Access list
                  </button>
                  <button type="button" class="small-button secondary" onClick={() => onOpen(record)} disabled={open.busy}>
                    Open
                  </button>
                  {record.needsRekey && (
                    <button type="button" class="small-button secondary" onClick={() => onRekey(record)} disabled={rekey.busy}>
                      Re-key
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open.busy && working && <ProgressBar label="Opening progress" progress={open.progress} />}
      {rekey.busy && working && <ProgressBar label="Re-key progress" progress={rekey.progress} />}
    </section>
  );
}

function ShareForm({ record, onClose }: { record: RecordSummary; onClose: () => void }) {
  const session = useSession();
  const { medshare, connection } = session;
  const [recipient, setRecipient] = useState('');
  const [choice, setChoice] = useState('1 day');
  const [custom, setCustom] = useState(() => datetimeLocalValue(new Date(Date.now() + 86_400_000)));
  const [scanning, setScanning] = useState(false);
  const [requested, setRequested] = useState<RequestSummary | null>(null);
  const share = useAction();
  const headingId = `share-${record.address}`;
  const heading = useFocusOnMount();
  const seconds = EXPIRY_CHOICES.find((option) => option.label === choice)?.seconds ?? 86_400;

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setRequested(null);
    void share.run(async () => {
      let expiresAt: number;
      if (seconds === 'custom') {
        const when = new Date(custom).getTime();
        if (!Number.isFinite(when)) throw new MedShareError('InvalidExpiry', 'choose an expiry date');
        if (when <= Date.now()) throw new MedShareError('InvalidExpiry', `${new Date(when).toLocaleString()} is in the past`);
        expiresAt = Math.floor(when / 1000);
      } else {
        expiresAt = Math.floor(Date.now() / 1000) + seconds;
      }
      const request = await medshare.share(connection!.signer, record, recipient.trim(), expiresAt);
      setRequested(request);
      session.announce(`Share requested: ${request.address}`);
    });
  };

  return (
    <section aria-labelledby={headingId} class="card">
      <h3 id={headingId} ref={heading} tabIndex={-1}>
        Share record {String(record.recordId)}
      </h3>
      <p class="small">
        Version {record.version}. The cluster's nodes re-encrypt the record's key to the recipient's registered encryption key; the recipient opens it
        once enough nodes have answered, until it expires or you revoke it.
      </p>
      <form onSubmit={onSubmit} class="form">
        <div class="field">
          <label for={`${headingId}-recipient`}>Recipient address</label>
          <input
            id={`${headingId}-recipient`}
            type="text"
            inputMode="text"
            autoComplete="off"
            spellcheck={false}
            required
            class="mono"
            value={recipient}
            onInput={(e) => setRecipient((e.currentTarget as HTMLInputElement).value)}
          />
          {canScanQr() && !scanning && (
            <button type="button" class="secondary small-button" onClick={() => setScanning(true)}>
              Scan QR code
            </button>
          )}
          {scanning && (
            <QrScanner
              onFound={(text) => {
                setRecipient(text);
                setScanning(false);
                session.announce('Address scanned');
              }}
              onClose={() => setScanning(false)}
            />
          )}
        </div>
        <div class="field-row">
          <div class="field">
            <label for={`${headingId}-expires`}>Expires in</label>
            <select id={`${headingId}-expires`} value={choice} onChange={(e) => setChoice((e.currentTarget as HTMLSelectElement).value)}>
              {EXPIRY_CHOICES.map((option) => (
                <option key={option.label} value={option.label}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
          {seconds === 'custom' && (
            <div class="field">
              <label for={`${headingId}-date`}>Expiry date</label>
              <input
                id={`${headingId}-date`}
                type="datetime-local"
                required
                value={custom}
                min={datetimeLocalValue(new Date())}
                onInput={(e) => setCustom((e.currentTarget as HTMLInputElement).value)}
              />
            </div>
          )}
        </div>
        <div class="actions">
          <button type="submit" disabled={share.busy}>
            Share
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Close
          </button>
        </div>
        {share.busy && <p>Checking the recipient and asking your wallet to sign…</p>}
        {requested && (
          <p class="success">
            Request <span class="address">{requested.address}</span>: waiting for the nodes ({requested.accepted} of {requested.threshold}); follow it in
            the access list.
          </p>
        )}
      </form>
    </section>
  );
}

function AccessList({ record, onClose }: { record: RecordSummary; onClose: () => void }) {
  const session = useSession();
  const { medshare, connection, fail } = session;
  const [requests, setRequests] = useState<RequestSummary[] | null>(null);
  const revoke = useAction();
  const owner = connection!.account.address;

  const reload = useCallback(async () => {
    try {
      setRequests(newestFirst(await medshare.accessList(owner, record.address)));
    } catch (error) {
      fail(error);
      setRequests((previous) => previous ?? []);
    }
  }, [medshare, owner, record.address, fail]);
  useEffect(() => {
    void reload();
  }, [reload]);
  // the nodes answer within seconds: follow the waiting requests until they are done
  const waiting = requests?.some((request) => request.status === 'pending') ?? false;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);

  const onRevoke = (request: RequestSummary) =>
    revoke.run(async () => {
      const signature = await medshare.revoke(connection!.signer, request.address);
      // revoking stops only the partials not posted yet (threat model L2): say so when some are in
      const posted =
        request.accepted > 0
          ? `; ${request.accepted} of ${request.threshold} partials were already posted${
              request.accepted >= request.threshold ? `, so the recipient can still open version ${request.version}` : ''
            }: re-key the record to protect later versions`
          : '';
      session.announce(`Revoked the share with ${request.recipient} (transaction ${signature})${posted}`);
      await reload();
    });

  const caption = `Access list for record ${record.recordId}`;
  const heading = useFocusOnMount();
  return (
    <section aria-labelledby={`access-${record.address}`} class="card">
      <h3 id={`access-${record.address}`} ref={heading} tabIndex={-1}>
        Who has access to record {String(record.recordId)}
      </h3>
      {requests === null ? (
        <p>Loading…</p>
      ) : requests.length === 0 ? (
        <p class="empty">Not shared with anyone yet</p>
      ) : (
        <table class="reflow">
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Recipient</th>
              <th scope="col">Status</th>
              <th scope="col">Partials</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((request) => (
              <tr key={request.address}>
                <td data-label="Recipient">
                  <span class="address">{request.recipient}</span>
                </td>
                <td data-label="Status">
                  <span class={`badge ${request.status}`}>{STATUS_WORDS[request.status]}</span>
                </td>
                <td data-label="Partials">
                  {request.accepted} of {request.threshold}
                </td>
                <td data-label="Expires">
                  <Expiry at={request.expiresAt} />
                </td>
                <td data-label="Actions" class="row-actions">
                  {(request.status === 'pending' || request.status === 'completed') && (
                    <button type="button" class="small-button danger" onClick={() => onRevoke(request)} disabled={revoke.busy}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void reload()}>
          Refresh
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
