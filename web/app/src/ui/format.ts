// Turning data into words for the screen: errors by name, sizes, dates, statuses.

import { MedShareError, ProgramError, type RequestStatus, type RequestSummary } from '../chain/medshare';

/**
 * What went wrong, name first: a program error as `<IDL name>: <program message>`, a client
 * refusal as `<kind>: <message>`, anything else as `Error: <message>`.
 */
export function describeError(error: unknown): string {
  if (error instanceof ProgramError) return `${error.errorName}: ${error.message}`;
  if (error instanceof MedShareError) return `${error.kind}: ${error.message}`;
  if (error instanceof Error) return `${error.name === 'Error' ? 'Error' : error.name}: ${error.message}`;
  return `Error: ${String(error)}`;
}

/** Share requests newest first (the data layer lists them oldest first). */
export function newestFirst(requests: RequestSummary[]): RequestSummary[] {
  return [...requests].sort((a, b) => b.createdAt - a.createdAt);
}

/** A byte count as people read it (1 KiB = 1024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A unix time (seconds) as an ISO string for `<time datetime>`. */
export function isoFromUnix(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** A unix time (seconds) in the reader's locale. */
export function localFromUnix(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

/** The words the access list and "Shared with me" use for a request's status. */
export const STATUS_WORDS: Record<RequestStatus, string> = {
  pending: 'Waiting',
  completed: 'Ready',
  revoked: 'Revoked',
  expired: 'Expired',
};

/** How long a share lasts, as the expiry picker offers it (seconds), or 'custom'. */
export const EXPIRY_CHOICES: { label: string; seconds: number | 'custom' }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: 'Custom date', seconds: 'custom' },
];

/** A `datetime-local` input's value for a Date, in local time. */
export function datetimeLocalValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
