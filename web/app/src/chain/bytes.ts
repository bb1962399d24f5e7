// Byte helpers of the data layer: hex, address bytes, digests. No cryptography of MedShare's
// own lives here (that is medshare-wasm); SHA-256 of a blob is the platform's WebCrypto.

import { getAddressDecoder, getAddressEncoder, isAddress, type Address } from '@solana/kit';
import { MedShareError } from './errors';

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Whether two byte strings are equal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Whether every byte is zero. */
export function allZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/** `text` as an address, or `MedShareError('NotAnAddress')` naming `what`. */
export function parseAddress(text: string, what: string): Address {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (!isAddress(trimmed)) {
    throw new MedShareError('NotAnAddress', `the ${what} "${String(text).slice(0, 60)}" is not a Solana address (32 bytes in base58)`);
  }
  return trimmed;
}

const encoder = getAddressEncoder();
const decoder = getAddressDecoder();

/** The 32 bytes of an address. */
export function addressBytes(address: Address): Uint8Array {
  return new Uint8Array(encoder.encode(address));
}

/** The address of 32 bytes. */
export function addressOf(bytes: Uint8Array): Address {
  return decoder.decode(bytes);
}

/** SHA-256 of `bytes` (WebCrypto). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** `value` as little-endian u32 bytes. */
export function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}
