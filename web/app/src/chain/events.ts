// The program's events from a transaction's log messages, decoded with the IDL's event table
// (generated/idl-events.ts), as client/src/events.rs does: `Program data: base64(disc ‖ borsh)`
// lines count only while the runtime's own `Program <id> invoke [n]` / `success` / `failed:`
// lines say this program is running, so data logged by another program is never taken for ours.

import { getAddressDecoder } from '@solana/kit';
import { IDL_EVENTS, type IdlEvent, type IdlFieldType } from '../generated/idl-events';
import { toHex } from './bytes';

/** One decoded event: its IDL name and every field as text (addresses base58, integers
 * decimal, byte arrays hex, bools `true`/`false`). */
export interface DecodedEvent {
  name: string;
  fields: Record<string, string>;
}

/** What the logs of one transaction held: the events that decoded and a line for each
 * `Program data:` line of ours that did not. */
export interface LogEvents {
  events: DecodedEvent[];
  problems: string[];
  /** The runtime cut the logs at 10,000 bytes: events after the cut are missing. */
  truncated: boolean;
}

const BASE58_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

/** The runtime's invocation lines, matched exactly (a program's own output is always
 * `Program log:`, `Program data:` or `Program return:`, none of which is an address). */
function runtimeLine(line: string): { invoke: string } | 'exit' | undefined {
  const match = /^Program (\S+) (.*)$/.exec(line);
  if (!match || !BASE58_ADDRESS.test(match[1])) return undefined;
  if (/^invoke \[\d{1,3}\]$/.test(match[2])) return { invoke: match[1] };
  if (match[2] === 'success' || match[2].startsWith('failed: ')) return 'exit';
  return undefined;
}

/** Every event `programId` logged in `logs`, in order. */
export function eventsFromLogs(logs: readonly string[], programId: string): LogEvents {
  const stack: boolean[] = [];
  const events: DecodedEvent[] = [];
  const problems: string[] = [];
  logs.forEach((line, position) => {
    const runtime = runtimeLine(line);
    if (runtime === 'exit') stack.pop();
    else if (runtime) stack.push(runtime.invoke === programId);
    else if (line.startsWith('Program data: ') && stack[stack.length - 1] === true) {
      try {
        events.push(decodeEvent(base64(line.slice('Program data: '.length))));
      } catch (error) {
        problems.push(`log line ${position}: ${(error as Error).message}`);
      }
    }
  });
  return { events, problems, truncated: logs.includes('Log truncated') };
}

function base64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error('event is not valid base64');
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** One event from its raw bytes: the discriminator names it, the body must decode exactly. */
export function decodeEvent(raw: Uint8Array): DecodedEvent {
  if (raw.length < 8) throw new Error('event is shorter than its 8-byte discriminator');
  const event = IDL_EVENTS.find((candidate) => candidate.discriminator.every((byte, i) => raw[i] === byte));
  if (!event) throw new Error(`unknown event discriminator ${toHex(raw.subarray(0, 8))}`);
  return { name: event.name, fields: decodeFields(event, raw.subarray(8)) };
}

const addressDecoder = getAddressDecoder();

function decodeFields(event: IdlEvent, body: Uint8Array): Record<string, string> {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  const take = (n: number): number => {
    if (at + n > body.length) throw new Error(`event ${event.name} has a malformed body (too short)`);
    const start = at;
    at += n;
    return start;
  };
  const read = (type: IdlFieldType): string => {
    switch (type) {
      case 'pubkey':
        return addressDecoder.decode(body.subarray(take(32), at));
      case 'u8':
        return String(body[take(1)]);
      case 'u16':
        return String(view.getUint16(take(2), true));
      case 'u32':
        return String(view.getUint32(take(4), true));
      case 'u64':
        return String(view.getBigUint64(take(8), true));
      case 'i64':
        return String(view.getBigInt64(take(8), true));
      case 'bool': {
        const byte = body[take(1)];
        if (byte > 1) throw new Error(`event ${event.name} has a malformed body (bool ${byte})`);
        return String(byte === 1);
      }
      default: {
        const n = Number(type.slice('bytes'.length));
        return toHex(body.subarray(take(n), at));
      }
    }
  };
  const fields: Record<string, string> = {};
  for (const [name, type] of event.fields) fields[name] = read(type);
  if (at !== body.length) throw new Error(`event ${event.name} has a malformed body (${body.length - at} trailing bytes)`);
  return fields;
}
