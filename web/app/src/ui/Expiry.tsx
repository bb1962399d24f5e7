// When a share request expires, as the tables show it.

import { isoFromUnix, localFromUnix } from './format';

/** A request's expiry: a `<time>` with its ISO instant, or "never" (0 on chain). */
export function Expiry({ at }: { at: number }) {
  return at === 0 ? <span>never</span> : <time dateTime={isoFromUnix(at)}>{localFromUnix(at)}</time>;
}
