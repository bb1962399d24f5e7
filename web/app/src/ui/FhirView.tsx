// An opened record: a readable view of the FHIR resources it holds, and its exact bytes to
// download.

import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { FhirSummary } from '../chain/medshare';
import { describeError, formatBytes } from './format';
import { useSession } from './session';

/** Resources shown at most: a 16 MiB bundle of tiny entries would be hundreds of thousands of
 * elements; the rest is in the download. */
const SHOWN_RESOURCES = 200;

/** The decrypted record: what it is, and a download of the exact bytes. */
export interface OpenedRecord {
  recordId: bigint;
  version: number;
  owner: string;
  bytes: Uint8Array;
}

export function OpenedRecordView({ opened, onClose }: { opened: OpenedRecord; onClose: () => void }) {
  const { medshare } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  const title = `Record ${opened.recordId} from ${opened.owner}`;
  const headingId = `opened-${opened.recordId}-${opened.version}`;
  // the data layer's structural check; a record that is not FHIR is still downloadable
  const summary = useMemo((): FhirSummary | string => {
    try {
      return medshare.validateFhir(opened.bytes);
    } catch (error) {
      return describeError(error);
    }
  }, [medshare, opened.bytes]);
  useEffect(() => heading.current?.focus(), [opened]);

  function download() {
    const blob = new Blob([opened.bytes as BlobPart], { type: 'application/fhir+json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `record-${opened.recordId}-v${opened.version}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    // the download has started from the object URL; free it once the click is handled
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  return (
    <section aria-labelledby={headingId} class="card opened">
      <h3 id={headingId} ref={heading} tabIndex={-1} class="break">
        {title}
      </h3>
      <p class="small">
        Version {opened.version} · {formatBytes(opened.bytes.length)} · decrypted in this page
      </p>
      {typeof summary === 'string' ? (
        <p class="warning">Not shown as FHIR: {summary}</p>
      ) : (
        <div class="fhir">
          <p>
            <strong>{summary.resourceType}</strong>
            {summary.entries.length > 0 && ` with ${summary.entries.length} ${summary.entries.length === 1 ? 'resource' : 'resources'}`}
          </p>
          {summary.entries.slice(0, SHOWN_RESOURCES).map((entry, index) => (
            <article key={index} class="resource" aria-labelledby={`${headingId}-r${index}`}>
              <h4 id={`${headingId}-r${index}`}>
                {entry.resourceType}
                {entry.id && <span class="small"> {entry.id}</span>}
              </h4>
              <p>{entry.summary}</p>
            </article>
          ))}
          {summary.entries.length > SHOWN_RESOURCES && (
            <p class="small">
              and {summary.entries.length - SHOWN_RESOURCES} more resources: download the record to see them all
            </p>
          )}
        </div>
      )}
      <div class="actions">
        <button type="button" onClick={download}>
          Download
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
