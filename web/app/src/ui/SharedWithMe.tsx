// Shared with me: the share requests addressed to the connected wallet, their progress, and
// opening a ready one in the page (partials verified and combined, the record decrypted).

import { useCallback, useEffect, useState } from 'preact/hooks';
import type { RequestSummary } from '../chain/medshare';
import { Expiry } from './Expiry';
import { OpenedRecordView, type OpenedRecord } from './FhirView';
import { STATUS_WORDS, newestFirst } from './format';
import { ConnectFirst, ProgressBar, useAction, useSession } from './session';

/** How often the list is read again while a request waits for the nodes. */
const POLL_MS = 2000;

export function SharedWithMe() {
  const session = useSession();
  const { medshare, connection, fail } = session;
  const [requests, setRequests] = useState<RequestSummary[] | null>(null);
  const [opened, setOpened] = useState<OpenedRecord | null>(null);
  const open = useAction();
  const recipient = connection?.account.address;

  const reload = useCallback(async () => {
    if (!recipient) return;
    try {
      setRequests(newestFirst(await medshare.sharedWithMe(recipient)));
    } catch (error) {
      fail(error);
      setRequests((previous) => previous ?? []);
    }
  }, [medshare, recipient, fail]);
  useEffect(() => {
    setRequests(null);
    setOpened(null);
    void reload();
  }, [reload]);
  const waiting = requests?.some((request) => request.status === 'pending') ?? false;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);

  if (!recipient) {
    return (
      <>
        <h2 tabIndex={-1}>Shared with me</h2>
        <ConnectFirst what="open the records shared with you" />
      </>
    );
  }

  const onOpen = (request: RequestSummary) =>
    open.run(async (progress) => {
      const key = await session.ensureKey();
      const bytes = await medshare.open(key, request, progress);
      setOpened({ recordId: request.recordId, version: request.version, owner: request.owner, bytes });
      session.announce(`Opened record ${request.recordId}, version ${request.version} from ${request.owner}`);
    });

  return (
    <>
      <h2 tabIndex={-1}>Shared with me</h2>
      <section aria-labelledby="shared-heading" class="card">
        <h3 id="shared-heading">Requests addressed to you</h3>
        {requests === null ? (
          <p>Loading…</p>
        ) : requests.length === 0 ? (
          <p class="empty">Nothing shared with you yet</p>
        ) : (
          <table class="reflow">
            <caption>Shared with me</caption>
            <thead>
              <tr>
                <th scope="col">Owner</th>
                <th scope="col">Record</th>
                <th scope="col">Status</th>
                <th scope="col">Partials</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {requests.map((request) => (
                <tr key={request.address}>
                  <td data-label="Owner">
                    <span class="address">{request.owner}</span>
                  </td>
                  <td data-label="Record">
                    {String(request.recordId)} <span class="small">version {request.version}</span>
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
                    <button type="button" class="small-button" onClick={() => onOpen(request)} disabled={request.status !== 'completed' || open.busy}>
                      Open
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {open.busy && <ProgressBar label="Opening progress" progress={open.progress} />}
        <div class="actions">
          <button type="button" class="secondary" onClick={() => void reload()}>
            Refresh
          </button>
        </div>
      </section>
      {opened && <OpenedRecordView opened={opened} onClose={() => setOpened(null)} />}
    </>
  );
}
