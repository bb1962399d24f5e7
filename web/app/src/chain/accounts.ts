// Reading the program's accounts over RPC, checked before use: the owner is the program, the
// length is the account type's exact size and the discriminator is its type's, or the account
// is refused with an error that names it. Layouts and decoders are Codama's, from the IDL.

import { getBase64Encoder, type Address, type Decoder, type ReadonlyUint8Array, type Rpc, type SolanaRpcApi } from '@solana/kit';
import {
  CLUSTER_DISCRIMINATOR,
  getClusterDecoder,
  getClusterSize,
  getRecordDecoder,
  getRecordSize,
  getShareRequestDecoder,
  getShareRequestSize,
  getUserKeyDecoder,
  getUserKeySize,
  RECORD_DISCRIMINATOR,
  SHARE_REQUEST_DISCRIMINATOR,
  USER_KEY_DISCRIMINATOR,
  type Cluster,
  type Record as RecordAccount,
  type ShareRequest,
  type UserKey,
} from '../generated';
import { MedShareError } from './errors';
import { rpcCall } from './transactions';

export type { Cluster, RecordAccount, ShareRequest, UserKey };

/** One of the program's account types: its name, exact size, discriminator and decoder. */
export interface AccountKind<T> {
  name: string;
  size: number;
  discriminator: ReadonlyUint8Array;
  decoder: Decoder<T>;
}

export const CLUSTER: AccountKind<Cluster> = { name: 'Cluster', size: getClusterSize(), discriminator: CLUSTER_DISCRIMINATOR, decoder: getClusterDecoder() };
export const RECORD: AccountKind<RecordAccount> = { name: 'Record', size: getRecordSize(), discriminator: RECORD_DISCRIMINATOR, decoder: getRecordDecoder() };
export const SHARE_REQUEST: AccountKind<ShareRequest> = {
  name: 'ShareRequest',
  size: getShareRequestSize(),
  discriminator: SHARE_REQUEST_DISCRIMINATOR,
  decoder: getShareRequestDecoder(),
};
export const USER_KEY: AccountKind<UserKey> = { name: 'UserKey', size: getUserKeySize(), discriminator: USER_KEY_DISCRIMINATOR, decoder: getUserKeyDecoder() };

/** Offsets of the fields `getProgramAccounts` filters on (after the 8-byte discriminator). */
export const RECORD_OWNER_OFFSET = 8;
export const REQUEST_RECORD_OFFSET = 8;
export const REQUEST_OWNER_OFFSET = 8 + 32;
export const REQUEST_RECIPIENT_OFFSET = 8 + 64;

const base64 = getBase64Encoder();

/** `data` decoded as `kind`, or `AccountDecode` naming the account and what is wrong. */
export function decodeChecked<T>(kind: AccountKind<T>, address: string, data: Uint8Array): T {
  if (data.length !== kind.size) {
    throw new MedShareError('AccountDecode', `account ${address} is not a ${kind.name}: ${data.length} bytes, a ${kind.name} has ${kind.size}`);
  }
  if (!kind.discriminator.every((byte, i) => data[i] === byte)) {
    throw new MedShareError('AccountDecode', `account ${address} is not a ${kind.name} (another account type, or not initialised)`);
  }
  return kind.decoder.decode(data);
}

/** The account at `address` decoded as `kind`, `null` when it does not exist; an account of
 * another program or type is `AccountDecode`. */
export async function fetchAccount<T>(rpc: Rpc<SolanaRpcApi>, programId: string, kind: AccountKind<T>, address: Address): Promise<T | null> {
  const { value } = await rpcCall('getAccountInfo', () => rpc.getAccountInfo(address, { encoding: 'base64', commitment: 'confirmed' }).send());
  if (!value) return null;
  if (value.owner !== programId) {
    throw new MedShareError('AccountDecode', `account ${address} is not a ${kind.name}: it belongs to program ${value.owner}, not ${programId}`);
  }
  return decodeChecked(kind, address, new Uint8Array(base64.encode(value.data[0])));
}

/** As [`fetchAccount`], with a missing account as `NotFound` naming `what`. */
export async function requireAccount<T>(rpc: Rpc<SolanaRpcApi>, programId: string, kind: AccountKind<T>, address: Address, what: string): Promise<T> {
  const account = await fetchAccount(rpc, programId, kind, address);
  if (account === null) throw new MedShareError('NotFound', `${what} ${address} does not exist`);
  return account;
}

/** Every account of `kind` whose 32 bytes at `offset` are `value`, with its address. */
export async function findAccounts<T>(
  rpc: Rpc<SolanaRpcApi>,
  programId: string,
  kind: AccountKind<T>,
  offset: number,
  value: Address,
): Promise<{ address: Address; account: T }[]> {
  const found = await rpcCall('getProgramAccounts', () =>
    rpc
      .getProgramAccounts(programId as Address, {
        encoding: 'base64',
        commitment: 'confirmed',
        filters: [{ dataSize: BigInt(kind.size) }, { memcmp: { offset: BigInt(offset), bytes: value as string as never, encoding: 'base58' } }],
      })
      .send(),
  );
  return found.map(({ pubkey, account }) => ({ address: pubkey, account: decodeChecked(kind, pubkey, new Uint8Array(base64.encode(account.data[0]))) }));
}
