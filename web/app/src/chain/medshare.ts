// The web app's data layer (issue #14): everything the `medshare` CLI does for a patient, a
// recipient and an auditor, for a browser wallet, with no DOM. Instructions, accounts and PDAs
// come from the Codama client rendered from the program's IDL (src/generated/); every piece of
// cryptography is medshare-wasm, the same Rust code as the CLI (web/wasm/src/lib.rs); the
// flows follow the CLI's (cli/src/commands/records.rs, shares.rs, audit.rs) step for step, with
// the same checks before anything is signed. The contract with the UI is
// /work/briefs/web-contract.md ("Data layer API").

import {
  createNoopSigner,
  createSolanaRpc,
  getProgramDerivedAddress,
  type Address,
  type Instruction,
  type Rpc,
  type SolanaRpcApi,
} from '@solana/kit';
import {
  findCircuitPda,
  findRecordPda,
  findUserKeyPda,
  getAppendPatientDataInstruction,
  getRegisterUserKeyInstruction,
  getRevokeShareInstruction,
  getSharePatientDataInstruction,
  getStorePatientDataInstruction,
} from '../generated';
import {
  CLUSTER,
  findAccounts,
  RECORD,
  RECORD_OWNER_OFFSET,
  REQUEST_OWNER_OFFSET,
  REQUEST_RECIPIENT_OFFSET,
  REQUEST_RECORD_OFFSET,
  requireAccount,
  fetchAccount,
  SHARE_REQUEST,
  USER_KEY,
  type Cluster,
  type RecordAccount,
  type ShareRequest,
} from './accounts';
import { addressBytes, allZero, equalBytes, parseAddress, sha256, toHex, u32le } from './bytes';
import { cryptoError, MedShareError, ProgramError } from './errors';
import { eventsFromLogs } from './events';
import { MAX_FHIR_LEN, validateFhir, type FhirSummary } from './fhir';
import { askWallet, rpcCall, sendInstructions, type WalletSigner } from './transactions';
import { loadWebCrypto, type MedshareCrypto } from './wasm';
import type { UserKey as WasmUserKey, RecordKey as WasmRecordKey, RecordBinding as WasmRecordBinding } from '../../wasm/medshare_wasm.js';

export { MedShareError, ProgramError, validateFhir };
export type { FhirSummary, WalletSigner, MedshareCrypto };

/** The app's runtime configuration (`./config.json`). */
export interface AppConfig {
  /** The JSON-RPC endpoint. */
  rpcUrl: string;
  /** The MedShare program's address (base58). */
  programId: string;
  /** The cluster whose key seals new records (base58). */
  cluster: string;
  /** The domain user keys are derived for (default: `location.host`). */
  keyDomain?: string;
  /** Where sealed records too large for an account are PUT (`<url><sha256 hex>`); none: inline only. */
  blobUploadUrl?: string;
  /** The Wallet Standard chain (`solana:localnet`, `solana:devnet`, ...). */
  chain?: string;
}

/** Reports a long operation's progress: `done` of `total` in `phase` (`sealing`, `uploading`,
 * `writing`, `downloading`, `decrypting`, ...). */
export type Progress = (done: number, total: number, phase: string) => void;

/** Whether a wallet has an encryption key registered, which, and whether it is the unlocked one. */
export interface KeyStatus {
  registered: boolean;
  /** The registered public key (hex). */
  publicKey?: string;
  /** Whether it is the key given to `keyStatus` (absent when none was given). */
  matchesWallet?: boolean;
}

/** One record (its current version) of an owner. */
export interface RecordSummary {
  address: string;
  recordId: bigint;
  version: number;
  /** Sealed bytes. */
  length: number;
  storage: 'inline' | 'blob';
  /** The blob's URI. */
  uri?: string;
  /** The cluster epoch whose key sealed this version. */
  sealedEpoch: bigint;
  /** Sealed to a cluster key that is no longer the cluster's: re-key before sharing. */
  needsRekey: boolean;
  /** Every sealed byte is on chain (an inline store interrupted between transactions is not). */
  complete: boolean;
  /** Unix time the version was stored. */
  updatedAt: number;
}

/** A share request's state, as the CLI names it. */
export type RequestStatus = 'pending' | 'completed' | 'revoked' | 'expired';

/** One share request. */
export interface RequestSummary {
  address: string;
  owner: string;
  recipient: string;
  record: string;
  recordId: bigint;
  version: number;
  status: RequestStatus;
  /** Partials accepted on chain. */
  accepted: number;
  /** Partials needed. */
  threshold: number;
  /** Unix seconds; 0 = never. */
  expiresAt: number;
  /** Not on chain (the request records its creation time, `createdAt`). */
  createdSlot?: bigint;
  /** Unix time the request was made. */
  createdAt: number;
}

/** One event of an audited history. */
export interface AuditEntry {
  signature: string;
  slot: bigint;
  /** Unix seconds, when the node knows it. */
  blockTime: number | null;
  /** The event's IDL name (`ShareRequested`, `PartialAccepted`, ...), or `LogsTruncated` /
   * `UnreadableEvent` (with a `problem` field) for a transaction whose events may be missing. */
  event: string;
  /** The event's fields as text (snake_case names, as in the IDL). */
  fields: Record<string, string>;
  /** For `PartialRejected`: the node that posted an invalid partial. */
  cheater?: { nodeIndex: number; authority: string };
}

/** A wallet's encryption key, derived from two signatures of the key message. The secret stays
 * inside the wasm module; `forget()` zeroises it. */
export class UnlockedKey {
  /** The wallet it belongs to. */
  readonly wallet: string;
  /** Its key number (0, then one more at each rotation). */
  readonly index: number;
  /** The domain it was derived for. */
  readonly keyDomain: string;
  /** The public key (hex) to register. */
  readonly publicKey: string;
  readonly #secret: WasmUserKey;

  constructor(wallet: string, index: number, keyDomain: string, secret: WasmUserKey) {
    this.wallet = wallet;
    this.index = index;
    this.keyDomain = keyDomain;
    this.#secret = secret;
    this.publicKey = toHex(secret.publicKey());
  }

  /** The wasm key, for this module's calls only. */
  static secretOf(key: UnlockedKey): WasmUserKey {
    return key.#secret;
  }

  /** Zeroises the secret (the key cannot be used afterwards). */
  forget(): void {
    this.#secret.free();
  }
}

/** Optional seams: a Node test hands in the `pkg-node` build of medshare-wasm and its own fetch. */
export interface LoadOptions {
  /** medshare-wasm (default: the browser build next to the bundle). */
  crypto?: MedshareCrypto | Promise<MedshareCrypto>;
  /** The clock, in unix seconds (default: `Date.now()`). */
  now?: () => number;
}

/** The most sealed bytes a record account holds inline (the CLI's `INLINE_MAX`). */
const INLINE_MAX = 2048;
/** Sealed bytes per inline transaction (client/src/instructions.rs `INLINE_CHUNK`). */
const INLINE_CHUNK = 600;
/** The longest blob URI a record holds. */
const URI_MAX = 128;
/** A cluster's `status` once its key serves. */
const CLUSTER_ACTIVE = 2;
/** A member's `status` when active. */
const MEMBER_ACTIVE = 2;
/** `ShareRequest.status` values. */
const PENDING = 0;
const COMPLETED = 1;
const REVOKED = 2;
const EXPIRED = 3;
/** Signature pages and transactions read for one audit, at most. */
const AUDIT_MAX_SIGNATURES = 5_000;
const AUDIT_CONCURRENCY = 8;
/** How long a blob store may stay silent (connecting, or between two parts of the body), as
 * the CLI's read timeout (client/src/blob.rs). */
const BLOB_IDLE_MS = 60_000;

/** The MedShare program, its cluster and the wallet's keys, from a browser. */
export class MedShare {
  /** The configuration it was loaded with. */
  readonly config: AppConfig;
  readonly #rpc: Rpc<SolanaRpcApi>;
  readonly #crypto: MedshareCrypto;
  readonly #programId: Address;
  readonly #cluster: Address;
  readonly #keyDomain: string;
  readonly #now: () => number;

  private constructor(config: AppConfig, crypto: MedshareCrypto, keyDomain: string, now: () => number) {
    this.config = config;
    this.#rpc = createSolanaRpc(config.rpcUrl);
    this.#crypto = crypto;
    this.#programId = parseAddress(config.programId, 'program id in config.json');
    this.#cluster = parseAddress(config.cluster, 'cluster in config.json');
    this.#keyDomain = keyDomain;
    this.#now = now;
  }

  /** Checks the configuration, loads medshare-wasm and reads the cluster (it must exist). */
  static async load(config: AppConfig, options: LoadOptions = {}): Promise<MedShare> {
    if (!config || typeof config.rpcUrl !== 'string' || !/^https?:\/\//.test(config.rpcUrl)) {
      throw new MedShareError('InvalidConfig', 'config.json needs "rpcUrl", an http(s) URL of a Solana JSON-RPC node');
    }
    if (config.blobUploadUrl !== undefined && !/^https?:\/\/.+\/$/.test(config.blobUploadUrl)) {
      throw new MedShareError('InvalidConfig', `config.json "blobUploadUrl" must be an http(s) URL ending in "/", not "${config.blobUploadUrl}"`);
    }
    const keyDomain = config.keyDomain ?? (globalThis as { location?: { host?: string } }).location?.host ?? '';
    if (!keyDomain) throw new MedShareError('InvalidConfig', 'no key domain: set "keyDomain" in config.json');
    let crypto: MedshareCrypto;
    try {
      crypto = await (options.crypto ?? loadWebCrypto());
    } catch (error) {
      throw new MedShareError('WasmUnavailable', `the cryptography module (medshare-wasm) did not load: ${(error as Error).message}`, { cause: error });
    }
    const medshare = new MedShare(config, crypto, keyDomain, options.now ?? (() => Math.floor(Date.now() / 1000)));
    await medshare.#readCluster();
    return medshare;
  }

  /** The domain keys are derived for. */
  get keyDomain(): string {
    return this.#keyDomain;
  }

  async #readCluster(): Promise<Cluster> {
    return requireAccount(this.#rpc, this.#programId, CLUSTER, this.#cluster, 'cluster');
  }

  /** The cluster: its threshold, how many members serve, its serving epoch. */
  async cluster(): Promise<{ address: string; threshold: number; members: number; epoch: bigint; active: boolean }> {
    const cluster = await this.#readCluster();
    const serving = cluster.members.filter((m) => m.status === MEMBER_ACTIVE && !allZero(new Uint8Array(m.verificationShare)));
    return { address: this.#cluster, threshold: cluster.threshold, members: serving.length, epoch: cluster.epoch, active: cluster.status === CLUSTER_ACTIVE };
  }

  /** Whether `wallet` registered a key; with `key`, whether it is that one. */
  async keyStatus(wallet: string, key?: UnlockedKey): Promise<KeyStatus> {
    const address = parseAddress(wallet, 'wallet');
    const registered = await this.#registeredKey(address);
    if (!registered) return { registered: false };
    const status: KeyStatus = { registered: true, publicKey: toHex(registered) };
    if (key) status.matchesWallet = key.wallet === address && key.publicKey === status.publicKey;
    return status;
  }

  async #registeredKey(wallet: Address): Promise<Uint8Array | null> {
    const [pda] = await findUserKeyPda({ wallet }, { programAddress: this.#programId });
    const account = await fetchAccount(this.#rpc, this.#programId, USER_KEY, pda);
    if (!account) return null;
    if (account.wallet !== wallet) throw new MedShareError('AccountDecode', `user key account ${pda} names wallet ${account.wallet}, not ${wallet}`);
    return new Uint8Array(account.publicKey);
  }

  /** Derives the wallet's encryption key number `index` (default 0) as the CLI does: the
   * wallet signs the key message for this domain and program twice; differing signatures are
   * refused (`DifferentSignatures`), as is a signature that is not the wallet's. */
  async unlockKey(signer: WalletSigner, index = 0): Promise<UnlockedKey> {
    const wallet = parseAddress(signer.address, 'wallet');
    const message = this.#wasm('building the key message', () => this.#crypto.userKeyMessage(this.#keyDomain, addressBytes(wallet), addressBytes(this.#programId), index));
    const bytes = message.bytes;
    message.free();
    const first = await askWallet('sign the key message', () => signer.signMessage(bytes));
    const second = await askWallet('sign the key message', () => signer.signMessage(bytes));
    for (const signature of [first, second]) {
      if (!(signature instanceof Uint8Array) || signature.length !== 64) {
        throw new MedShareError('WalletRefused', `the wallet returned a signature of ${signature?.length} bytes, not an Ed25519 signature (64 bytes)`);
      }
      this.#wasm('checking the wallet\'s signature', () => this.#crypto.verifyWalletSignature(addressBytes(wallet), bytes, signature));
    }
    if (!equalBytes(first, second)) {
      throw new MedShareError(
        'DifferentSignatures',
        'this wallet does not sign deterministically (two signatures of the key message differ), so no stable key can be derived from it: use the medshare CLI with a raw key file',
      );
    }
    let secret: WasmUserKey;
    try {
      secret = this.#wasm('deriving the key', () => this.#crypto.UserKey.fromWalletSignatures(first, second));
    } finally {
      // the signature is the key material (x = H(signature)): it does not stay in the JS heap
      first.fill(0);
      second.fill(0);
    }
    return new UnlockedKey(wallet, index, this.#keyDomain, secret);
  }

  /** Registers `key` for the wallet (with its proof of possession); returns the signature. */
  async registerKey(signer: WalletSigner, key: UnlockedKey): Promise<string> {
    const wallet = this.#requireKeyOf(signer, key);
    const proof = this.#wasm('proving possession of the key', () => UnlockedKey.secretOf(key).provePossession(addressBytes(wallet)));
    const [userKey] = await findUserKeyPda({ wallet }, { programAddress: this.#programId });
    const instruction = getRegisterUserKeyInstruction(
      { wallet: createNoopSigner(wallet), userKey, publicKey: UnlockedKey.secretOf(key).publicKey(), proof },
      { programAddress: this.#programId },
    );
    return this.#send(signer, [instruction]);
  }

  /** `validateFhir` (see fhir.ts): a structural FHIR R4 check naming the element path. */
  validateFhir(bytes: Uint8Array): FhirSummary {
    return validateFhir(bytes);
  }

  /** Validates `fhir`, seals it and stores it as the owner's next record id. */
  async store(signer: WalletSigner, key: UnlockedKey, fhir: Uint8Array, progress?: Progress): Promise<RecordSummary> {
    validateFhir(fhir);
    const owner = this.#requireKeyOf(signer, key);
    const records = await findAccounts(this.#rpc, this.#programId, RECORD, RECORD_OWNER_OFFSET, owner);
    const next = records.reduce((highest, { account }) => (account.recordId > highest ? account.recordId : highest), 0n) + 1n;
    return this.#storeVersion(signer, key, next, fhir, progress);
  }

  /** Validates `fhir` and stores it as the next version of the owner's record `recordId`. */
  async storeVersion(signer: WalletSigner, key: UnlockedKey, recordId: bigint, fhir: Uint8Array, progress?: Progress): Promise<RecordSummary> {
    validateFhir(fhir);
    return this.#storeVersion(signer, key, recordId, fhir, progress);
  }

  /** Seals `plaintext` as the next version of record `recordId` under the cluster's current
   * key and the owner's registered key, and writes it: inline when it fits an account, else to
   * the blob store with its digest and URI on chain (the CLI's `store_version`). */
  async #storeVersion(signer: WalletSigner, key: UnlockedKey, recordId: bigint, plaintext: Uint8Array, progress?: Progress): Promise<RecordSummary> {
    const owner = this.#requireKeyOf(signer, key);
    const cluster = await this.#readCluster();
    if (cluster.status !== CLUSTER_ACTIVE) {
      throw new MedShareError('ClusterNotActive', `cluster ${this.#cluster} is not active yet (its key ceremony has not finished)`);
    }
    const registered = await this.#registeredKey(owner);
    if (!registered) throw new MedShareError('KeyNotRegistered', 'register your encryption key before storing a record: it is the key the record is sealed to');
    if (toHex(registered) !== key.publicKey) {
      throw new MedShareError('KeyMismatch', `the key registered for ${owner} (${toHex(registered)}) is not the unlocked key #${key.index} for ${this.#keyDomain}`);
    }
    const [address] = await findRecordPda({ owner, recordId }, { programAddress: this.#programId });
    const existing = await fetchAccount(this.#rpc, this.#programId, RECORD, address);
    if (existing && existing.owner !== owner) throw new MedShareError('NotOwner', `record ${address} belongs to ${existing.owner}`);
    const version = existing ? existing.version + 1 : 1;
    const sealedLen = this.#wasm('sizing the record', () => this.#crypto.ciphertextLen(BigInt(plaintext.length)));
    if (sealedLen > 0xffff_ffffn) throw new MedShareError('TooLarge', `the record is ${sealedLen} bytes sealed: a record holds at most 4 GiB`);
    const binding = this.#binding(owner, recordId, version, address);
    const clusterKey = new Uint8Array(cluster.publicKey);
    const clusterBytes = addressBytes(this.#cluster);
    const base = { owner: createNoopSigner(owner), cluster: this.#cluster, record: address, recordId, version, ciphertextLen: Number(sealedLen) };

    let instructions: Instruction[];
    if (sealedLen <= BigInt(INLINE_MAX)) {
      progress?.(0, 1, 'sealing');
      const sealed = this.#wasm('sealing the record', () => this.#crypto.sealRecord(binding, clusterBytes, clusterKey, registered, plaintext));
      const ciphertext = sealed.ciphertext;
      if (BigInt(ciphertext.length) !== sealedLen) throw new MedShareError('CryptoError', `sealed ${ciphertext.length} bytes, not the ${sealedLen} of the record format`);
      const capsules = { clusterCapsule: sealed.clusterCapsule, capsuleProof: sealed.capsuleProof, ownerCapsule: sealed.ownerCapsule };
      sealed.free();
      progress?.(1, 1, 'sealing');
      const first = Math.min(ciphertext.length, INLINE_CHUNK);
      instructions = [
        getStorePatientDataInstruction(
          { ...base, ...capsules, storage: 0, digest: new Uint8Array(32), uri: [], chunk: Array.from(ciphertext.subarray(0, first)) },
          { programAddress: this.#programId },
        ),
      ];
      for (let offset = first; offset < ciphertext.length; offset += INLINE_CHUNK) {
        const chunk = ciphertext.subarray(offset, Math.min(offset + INLINE_CHUNK, ciphertext.length));
        instructions.push(getAppendPatientDataInstruction({ owner: createNoopSigner(owner), record: address, version, offset, chunk: Array.from(chunk) }, { programAddress: this.#programId }));
      }
    } else {
      const uploadUrl = this.config.blobUploadUrl;
      if (!uploadUrl) {
        throw new MedShareError(
          'TooLargeForInline',
          `the record is ${sealedLen} bytes sealed, more than a record account holds (${INLINE_MAX}), and this deployment has no blob store (no "blobUploadUrl" in config.json): store it with the medshare CLI`,
        );
      }
      const { ciphertext, capsules } = this.#sealChunked(binding, clusterBytes, clusterKey, registered, plaintext, Number(sealedLen), progress);
      const digest = await sha256(ciphertext);
      const uri = await this.#upload(uploadUrl, ciphertext, digest, progress);
      instructions = [
        getStorePatientDataInstruction(
          { ...base, ...capsules, storage: 1, digest, uri: Array.from(new TextEncoder().encode(uri)), chunk: [] },
          { programAddress: this.#programId },
        ),
      ];
    }
    binding.free();
    for (let i = 0; i < instructions.length; i++) {
      progress?.(i, instructions.length, 'writing');
      await this.#send(signer, [instructions[i]]);
    }
    progress?.(instructions.length, instructions.length, 'writing');
    const stored = await requireAccount(this.#rpc, this.#programId, RECORD, address, 'record');
    return this.#summary(address, stored, cluster);
  }

  /** Seals chunk by chunk (a progress step per chunk) into one buffer of `sealedLen` bytes. */
  #sealChunked(binding: WasmRecordBinding, cluster: Uint8Array, clusterKey: Uint8Array, ownerKey: Uint8Array, plaintext: Uint8Array, sealedLen: number, progress?: Progress) {
    const sealer = this.#wasm('sealing the record', () => new this.#crypto.RecordSealer(binding, cluster, clusterKey, ownerKey));
    try {
      const chunkLen = this.#crypto.chunkLen();
      const out = new Uint8Array(sealedLen);
      let at = 0;
      const put = (bytes: Uint8Array) => {
        if (at + bytes.length > sealedLen) throw new MedShareError('CryptoError', `the sealer wrote more than the ${sealedLen} bytes of the record format`);
        out.set(bytes, at);
        at += bytes.length;
      };
      put(this.#wasm('sealing the record', () => sealer.header()));
      let offset = 0;
      // every full chunk that more bytes follow, then the rest (possibly a full chunk) as the last
      while (plaintext.length - offset > chunkLen) {
        put(this.#wasm('sealing the record', () => sealer.sealChunk(plaintext.subarray(offset, offset + chunkLen))));
        offset += chunkLen;
        progress?.(offset, plaintext.length, 'sealing');
      }
      put(this.#wasm('sealing the record', () => sealer.sealLast(plaintext.subarray(offset))));
      progress?.(plaintext.length, plaintext.length, 'sealing');
      if (at !== sealedLen) throw new MedShareError('CryptoError', `sealed ${at} bytes, not the ${sealedLen} of the record format`);
      return { ciphertext: out, capsules: { clusterCapsule: sealer.clusterCapsule, capsuleProof: sealer.capsuleProof, ownerCapsule: sealer.ownerCapsule } };
    } finally {
      sealer.free();
    }
  }

  /** PUTs the sealed blob to the content-addressed store; returns its URI. */
  async #upload(uploadUrl: string, ciphertext: Uint8Array, digest: Uint8Array, progress?: Progress): Promise<string> {
    const uri = new URL(toHex(digest), uploadUrl).href;
    if (new TextEncoder().encode(uri).length > URI_MAX) {
      throw new MedShareError('InvalidConfig', `the blob URI ${uri} is longer than a record holds (${URI_MAX} bytes): use a shorter "blobUploadUrl"`);
    }
    progress?.(0, ciphertext.length, 'uploading');
    let response: Response;
    try {
      response = await fetch(uri, { method: 'PUT', body: ciphertext as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } });
    } catch (error) {
      throw new MedShareError('BlobUploadFailed', `the blob store at ${uploadUrl} could not be reached: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200 && response.status !== 201) {
      const detail = (await response.text().catch(() => '')).slice(0, 300);
      throw new MedShareError('BlobUploadFailed', `the blob store refused the upload (HTTP ${response.status})${detail ? `: ${detail}` : ''}`);
    }
    progress?.(ciphertext.length, ciphertext.length, 'uploading');
    return uri;
  }

  /** The owner's records, by record id. */
  async myRecords(owner: string): Promise<RecordSummary[]> {
    const address = parseAddress(owner, 'owner');
    const [records, cluster] = await Promise.all([findAccounts(this.#rpc, this.#programId, RECORD, RECORD_OWNER_OFFSET, address), this.#readCluster()]);
    return records
      .map(({ address: recordAddress, account }) => this.#summary(recordAddress, account, cluster))
      .sort((a, b) => (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0));
  }

  #summary(address: string, record: RecordAccount, cluster: Cluster): RecordSummary {
    const blob = record.storage === 1;
    const summary: RecordSummary = {
      address,
      recordId: record.recordId,
      version: record.version,
      length: record.ciphertextLen,
      storage: blob ? 'blob' : 'inline',
      sealedEpoch: record.sealedEpoch,
      needsRekey: record.cluster === this.#cluster && !equalBytes(new Uint8Array(record.clusterKey), new Uint8Array(cluster.publicKey)),
      complete: blob || record.written === record.ciphertextLen,
      updatedAt: Number(record.updatedAt),
    };
    if (blob) summary.uri = this.#uriOf(record);
    return summary;
  }

  #uriOf(record: RecordAccount): string {
    const len = Math.min(record.uriLen, record.uri.length);
    return new TextDecoder().decode(new Uint8Array(record.uri).subarray(0, len));
  }

  /** Asks the cluster to share `record`'s current version with `recipient` until `expiresAt`
   * (unix seconds, 0 = never). Checks first, as the CLI does: the address, the recipient's
   * registered key, the expiry, the record's owner and key epoch, and the capsule's proof. */
  async share(signer: WalletSigner, record: RecordSummary, recipient: string, expiresAt: number): Promise<RequestSummary> {
    const recipientAddress = parseAddress(recipient, 'recipient address');
    const owner = parseAddress(signer.address, 'wallet');
    if (!Number.isInteger(expiresAt) || expiresAt < 0) throw new MedShareError('InvalidExpiry', `the expiry ${expiresAt} is not a unix time in seconds`);
    if (expiresAt !== 0 && expiresAt <= this.#now()) {
      throw new MedShareError('ExpiryInPast', `the expiry ${new Date(expiresAt * 1000).toISOString()} is in the past`);
    }
    if (!(await this.#registeredKey(recipientAddress))) {
      throw new MedShareError('RecipientNotRegistered', `the recipient has not registered an encryption key (${recipientAddress}): they must open the app and register theirs first`);
    }
    const recordAddress = parseAddress(record.address, 'record');
    const account = await requireAccount(this.#rpc, this.#programId, RECORD, recordAddress, 'record');
    if (account.owner !== owner) throw new MedShareError('NotOwner', `record ${recordAddress} belongs to ${account.owner}, not to the connected wallet`);
    const [expected] = await findRecordPda({ owner, recordId: account.recordId }, { programAddress: this.#programId });
    if (expected !== recordAddress) throw new MedShareError('AccountDecode', `account ${recordAddress} is not the address of record ${account.recordId} of ${owner}`);
    if (account.storage === 0 && account.written !== account.ciphertextLen) {
      throw new MedShareError('RecordIncomplete', `record ${recordAddress} v${account.version} is incomplete on chain (${account.written} of ${account.ciphertextLen} bytes): store it again`);
    }
    const cluster = await requireAccount(this.#rpc, this.#programId, CLUSTER, account.cluster, 'cluster');
    if (cluster.status !== CLUSTER_ACTIVE) throw new MedShareError('ClusterNotActive', `cluster ${account.cluster} serves no key now (a key generation is running)`);
    if (!equalBytes(new Uint8Array(account.clusterKey), new Uint8Array(cluster.publicKey))) {
      throw new MedShareError('NeedsRekey', `record ${account.recordId} v${account.version} is sealed to the cluster's epoch-${account.sealedEpoch} key and the cluster has a new key: re-key it first`);
    }
    // the capsule the nodes will re-encrypt must carry a valid proof for this record version
    const binding = this.#binding(owner, account.recordId, account.version, recordAddress);
    try {
      this.#wasm('checking the record capsule', () =>
        binding.verifyClusterCapsule(addressBytes(account.cluster), new Uint8Array(account.clusterKey), new Uint8Array(account.clusterCapsule), new Uint8Array(account.capsuleProof)),
      );
    } finally {
      binding.free();
    }
    const [request] = await getProgramDerivedAddress({
      programAddress: this.#programId,
      seeds: [new TextEncoder().encode('share'), addressBytes(recordAddress), u32le(account.shareCount)],
    });
    const [circuit] = await findCircuitPda({ cluster: account.cluster }, { programAddress: this.#programId });
    const [recipientKey] = await findUserKeyPda({ wallet: recipientAddress }, { programAddress: this.#programId });
    const instruction = getSharePatientDataInstruction(
      { owner: createNoopSigner(owner), record: recordAddress, cluster: account.cluster, circuit, recipient: recipientAddress, recipientKey, request, expiresAt: BigInt(expiresAt) },
      { programAddress: this.#programId },
    );
    await this.#send(signer, [instruction]);
    const made = await requireAccount(this.#rpc, this.#programId, SHARE_REQUEST, request, 'share request');
    return this.#requestSummary(request, made, account.recordId);
  }

  /** The share requests of `owner`'s records (of one record, when given), oldest first. */
  async accessList(owner: string, record?: string): Promise<RequestSummary[]> {
    const ownerAddress = parseAddress(owner, 'owner');
    const found = record
      ? (await findAccounts(this.#rpc, this.#programId, SHARE_REQUEST, REQUEST_RECORD_OFFSET, parseAddress(record, 'record'))).filter(({ account }) => account.owner === ownerAddress)
      : await findAccounts(this.#rpc, this.#programId, SHARE_REQUEST, REQUEST_OWNER_OFFSET, ownerAddress);
    return this.#requestSummaries(found);
  }

  /** The share requests made to `recipient`, oldest first. */
  async sharedWithMe(recipient: string): Promise<RequestSummary[]> {
    const found = await findAccounts(this.#rpc, this.#programId, SHARE_REQUEST, REQUEST_RECIPIENT_OFFSET, parseAddress(recipient, 'recipient'));
    return this.#requestSummaries(found);
  }

  async #requestSummaries(found: { address: Address; account: ShareRequest }[]): Promise<RequestSummary[]> {
    // the record id is not in the request: read each record once (a closed one reads as 0)
    const records = new Map<string, bigint>();
    for (const record of new Set(found.map(({ account }) => account.record))) {
      const account = await fetchAccount(this.#rpc, this.#programId, RECORD, record);
      records.set(record, account?.recordId ?? 0n);
    }
    return found
      .map(({ address, account }) => this.#requestSummary(address, account, records.get(account.record) ?? 0n))
      .sort((a, b) => a.createdAt - b.createdAt || a.address.localeCompare(b.address));
  }

  #requestSummary(address: string, request: ShareRequest, recordId: bigint): RequestSummary {
    return {
      address,
      owner: request.owner,
      recipient: request.recipient,
      record: request.record,
      recordId,
      version: request.recordVersion,
      status: this.#status(request),
      accepted: request.acceptedCount,
      threshold: request.threshold,
      expiresAt: Number(request.expiresAt),
      createdAt: Number(request.createdAt),
    };
  }

  /** The CLI's `status_name`: a pending request past its expiry reads as expired. */
  #status(request: ShareRequest): RequestStatus {
    switch (request.status) {
      case COMPLETED:
        return 'completed';
      case REVOKED:
        return 'revoked';
      case EXPIRED:
        return 'expired';
      case PENDING:
        return request.expiresAt !== 0n && BigInt(this.#now()) > request.expiresAt ? 'expired' : 'pending';
      default:
        throw new MedShareError('AccountDecode', `share request with unknown status ${request.status}`);
    }
  }

  /** Revokes a share request of one's own record; returns the signature. */
  async revoke(signer: WalletSigner, request: string): Promise<string> {
    const address = parseAddress(request, 'share request');
    const owner = parseAddress(signer.address, 'wallet');
    const account = await requireAccount(this.#rpc, this.#programId, SHARE_REQUEST, address, 'share request');
    if (account.owner !== owner) throw new MedShareError('NotOwner', `share request ${address} is for a record of ${account.owner}, not of the connected wallet`);
    if (account.status === REVOKED) throw new MedShareError('AlreadyRevoked', `share request ${address} is already revoked`);
    return this.#send(signer, [getRevokeShareInstruction({ owner: createNoopSigner(owner), request: address }, { programAddress: this.#programId })]);
  }

  /** Re-keys one's own record: opens its current version and stores the same bytes as the next
   * version under a fresh record key sealed to the cluster's current key (`medshare rekey`). */
  async rekey(signer: WalletSigner, key: UnlockedKey, record: RecordSummary, progress?: Progress): Promise<RecordSummary> {
    const plaintext = await this.openOwn(key, record, progress);
    return this.#storeVersion(signer, key, record.recordId, plaintext, progress);
  }

  /** Opens a completed share as its recipient: checks the request, the record version and the
   * capsule's proof, combines the accepted partials, opens the record key and decrypts. */
  async open(key: UnlockedKey, request: RequestSummary, progress?: Progress): Promise<Uint8Array> {
    const address = parseAddress(request.address, 'share request');
    progress?.(0, 1, 'reading');
    const account = await requireAccount(this.#rpc, this.#programId, SHARE_REQUEST, address, 'share request');
    if (account.recipient !== key.wallet) throw new MedShareError('NotRecipient', `share request ${address} is for ${account.recipient}, not for the connected wallet`);
    const status = this.#status(account);
    if (status === 'revoked') throw new MedShareError('Revoked', `share request ${address} was revoked by the owner`);
    if (status === 'expired' && account.status !== COMPLETED) throw new MedShareError('Expired', `share request ${address} expired before it completed`);
    if (account.status !== COMPLETED) {
      throw new MedShareError('NotReady', `share request ${address} is waiting for the nodes (${account.acceptedCount} of ${account.threshold} partials)`);
    }
    const record = await requireAccount(this.#rpc, this.#programId, RECORD, account.record, 'record');
    if (record.version !== account.recordVersion) {
      throw new MedShareError('RecordChanged', `the record is at version ${record.version} now; this share was for version ${account.recordVersion}, whose ciphertext is gone`);
    }
    if (record.owner !== account.owner) throw new MedShareError('AccountDecode', `share request ${address} names owner ${account.owner}, the record's is ${record.owner}`);
    if (!equalBytes(new Uint8Array(account.recipientKey), publicKeyBytes(key))) {
      throw new MedShareError('WrongKey', `share request ${address} was made to key ${toHex(new Uint8Array(account.recipientKey))}, not to the unlocked key #${key.index} for ${this.#keyDomain}`);
    }
    const binding = this.#binding(record.owner, record.recordId, record.version, account.record);
    try {
      // the capsule must be the one this record version's owner sealed, for this record
      this.#wasm(`share request ${address} carries a capsule that is not this record's: refusing to combine`, () =>
        binding.verifyClusterCapsule(addressBytes(account.cluster), new Uint8Array(record.clusterKey), new Uint8Array(account.capsule), new Uint8Array(account.capsuleProof)),
      );
      const indices: number[] = [];
      const partials: number[] = [];
      account.partials.forEach((partial, slot) => {
        if (account.accepted & (1 << slot)) {
          indices.push(slot + 1);
          partials.push(...partial.a, ...partial.e);
        }
      });
      const combined = this.#wasm('combining the partials', () =>
        this.#crypto.combinePartials(new Uint8Array(account.capsule), Uint16Array.from(indices), Uint8Array.from(partials), account.threshold),
      );
      const recordKey = this.#wasm('opening the share', () => combined.open(UnlockedKey.secretOf(key)));
      combined.free();
      return await this.#decrypt(record, binding, recordKey, progress);
    } finally {
      binding.free();
    }
  }

  /** Opens one's own record with the owner capsule. */
  async openOwn(key: UnlockedKey, record: RecordSummary, progress?: Progress): Promise<Uint8Array> {
    const address = parseAddress(record.address, 'record');
    progress?.(0, 1, 'reading');
    const account = await requireAccount(this.#rpc, this.#programId, RECORD, address, 'record');
    if (account.owner !== key.wallet) throw new MedShareError('NotOwner', `record ${address} belongs to ${account.owner}, not to the connected wallet`);
    const binding = this.#binding(account.owner, account.recordId, account.version, address);
    try {
      const recordKey = this.#wasm('opening the owner capsule', () => this.#crypto.openCapsule(UnlockedKey.secretOf(key), new Uint8Array(account.ownerCapsule)));
      return await this.#decrypt(account, binding, recordKey, progress);
    } finally {
      binding.free();
    }
  }

  /** The record's sealed bytes (inline, or its blob checked against length and digest), opened. */
  async #decrypt(record: RecordAccount, binding: WasmRecordBinding, recordKey: WasmRecordKey, progress?: Progress): Promise<Uint8Array> {
    try {
      const sealed = await this.#sealedBytes(record, progress);
      progress?.(0, 1, 'decrypting');
      let plaintext: Uint8Array;
      try {
        plaintext = this.#crypto.openRecord(binding, recordKey, sealed);
      } catch (error) {
        throw new MedShareError('DecryptionFailed', `the record does not decrypt: wrong key or tampered ciphertext (${(error as Error).message})`, {
          cause: error,
        });
      }
      progress?.(1, 1, 'decrypting');
      return plaintext;
    } finally {
      recordKey.free();
    }
  }

  async #sealedBytes(record: RecordAccount, progress?: Progress): Promise<Uint8Array> {
    const length = record.ciphertextLen;
    if (record.storage !== 1) {
      if (record.written !== length || length > INLINE_MAX) {
        throw new MedShareError('RecordIncomplete', `the record is incomplete on chain (${record.written} of ${length} bytes)`);
      }
      return new Uint8Array(record.inline).slice(0, length);
    }
    // the length is the owner's to choose (the program bounds blob records from below only):
    // what this page cannot validate or show (FHIR of at most 16 MiB) it does not download
    const openMax = this.#crypto.ciphertextLen(BigInt(MAX_FHIR_LEN));
    if (BigInt(length) > openMax) {
      throw new MedShareError('TooLargeForBrowser', `the record is ${length} bytes sealed, more than this page opens (${openMax}): open it with the medshare CLI`);
    }
    const uri = this.#uriOf(record);
    if (!/^https?:\/\//.test(uri)) {
      throw new MedShareError('UnsupportedBlobUri', `the record is kept at ${uri}, which a browser cannot read (only http and https): open it with the medshare CLI`);
    }
    // the URI is the owner's: no redirect (as the CLI), no cookies, and a deadline on silence
    const abort = new AbortController();
    let idle = setTimeout(() => abort.abort(), BLOB_IDLE_MS);
    const out = new Uint8Array(length);
    let at = 0;
    try {
      let response: Response;
      try {
        response = await fetch(uri, { redirect: 'error', credentials: 'omit', referrerPolicy: 'no-referrer', signal: abort.signal });
      } catch (error) {
        throw new MedShareError('BlobUnavailable', `the blob at ${uri} could not be fetched (redirects are not followed; ${BLOB_IDLE_MS / 1000} s without an answer is a failure): ${(error as Error).message}`, { cause: error });
      }
      if (!response.ok || !response.body) throw new MedShareError('BlobUnavailable', `the blob store answered HTTP ${response.status} for ${uri}`);
      const reader = response.body.getReader();
      for (;;) {
        let part: ReadableStreamReadResult<Uint8Array>;
        try {
          part = await reader.read();
        } catch (error) {
          throw new MedShareError('BlobUnavailable', `the blob at ${uri} stopped arriving: ${(error as Error).message}`, { cause: error });
        }
        if (part.done) break;
        const value = part.value;
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(), BLOB_IDLE_MS);
        if (at + value.length > length) {
          await reader.cancel();
          throw new MedShareError('BlobMismatch', `the blob at ${uri} is longer than the ${length} bytes on chain: refused`);
        }
        out.set(value, at);
        at += value.length;
        progress?.(at, length, 'downloading');
      }
    } finally {
      clearTimeout(idle);
    }
    if (at !== length) throw new MedShareError('BlobMismatch', `the blob at ${uri} has ${at} bytes, not the ${length} on chain: refused`);
    if (!equalBytes(await sha256(out), new Uint8Array(record.digest))) {
      throw new MedShareError('BlobMismatch', `the blob at ${uri} does not have the SHA-256 digest on chain: refused`);
    }
    return out;
  }

  /** The history of a record, an owner or a recipient, from the program's events: every
   * transaction that touched the address, and every one that touched a share request of it
   * (partials name the request, not the record), oldest first. */
  async audit(target: { record?: string; owner?: string; recipient?: string }): Promise<AuditEntry[]> {
    const given = [target.record, target.owner, target.recipient].filter((value): value is string => value !== undefined && value !== '');
    if (given.length !== 1) throw new MedShareError('InvalidAuditTarget', 'give one of a record, an owner or a recipient address');
    const subject = parseAddress(given[0], target.record ? 'record' : target.owner ? 'owner' : 'recipient');
    const entries = new Map<string, AuditEntry>();
    const seen = new Set<string>();
    const collect = async (address: Address) => {
      for (const entry of await this.#eventsOf(address, seen)) entries.set(`${entry.signature}/${entries.size}`, entry);
    };
    await collect(subject);
    const requests = new Set<string>();
    for (const entry of entries.values()) {
      const f = entry.fields;
      if (entry.event === 'ShareRequested' && (f.record === subject || f.owner === subject || f.recipient === subject)) requests.add(f.request);
    }
    if ((await fetchAccount(this.#rpc, this.#programId, SHARE_REQUEST, subject).catch(() => null)) !== null) requests.add(subject);
    // the requests that exist now, whatever the history shows (a padded history cannot hide them)
    const offset = target.record ? REQUEST_RECORD_OFFSET : target.owner ? REQUEST_OWNER_OFFSET : REQUEST_RECIPIENT_OFFSET;
    for (const { address } of await findAccounts(this.#rpc, this.#programId, SHARE_REQUEST, offset, subject)) requests.add(address);
    for (const request of requests) await collect(request as Address);
    const related = new Set<string>([subject, ...requests]);
    return [...entries.values()]
      .filter((entry) => entry.event === 'LogsTruncated' || entry.event === 'UnreadableEvent' || entry.event === 'HistoryTruncated' || Object.values(entry.fields).some((value) => related.has(value)))
      .map((entry, found) => ({ entry, found }))
      .sort((a, b) => (a.entry.slot < b.entry.slot ? -1 : a.entry.slot > b.entry.slot ? 1 : lifecycleRank(a.entry.event) - lifecycleRank(b.entry.event) || a.found - b.found))
      .map(({ entry }) => entry);
  }

  /** The events of every successful transaction that touched `address` (not in `seen`). */
  async #eventsOf(address: Address, seen: Set<string>): Promise<AuditEntry[]> {
    const signatures: { signature: string; slot: bigint; blockTime: number | null }[] = [];
    let before: string | undefined;
    let more = true;
    while (more && signatures.length < AUDIT_MAX_SIGNATURES) {
      const page = await rpcCall('getSignaturesForAddress', () =>
        this.#rpc.getSignaturesForAddress(address, { commitment: 'confirmed', limit: 1000, ...(before ? { before: before as never } : {}) }).send(),
      );
      for (const info of page) {
        if (!info.err && !seen.has(info.signature)) {
          seen.add(info.signature);
          signatures.push({ signature: info.signature, slot: info.slot, blockTime: info.blockTime === null ? null : Number(info.blockTime) });
        }
      }
      more = page.length === 1000;
      if (more) before = page[page.length - 1].signature;
    }
    const entries: AuditEntry[] = [];
    if (more) {
      // an auditor must know the history was cut, and where: anyone can pad an address
      const oldest = signatures[signatures.length - 1];
      entries.push({
        signature: oldest.signature,
        slot: oldest.slot,
        blockTime: oldest.blockTime,
        event: 'HistoryTruncated',
        fields: { address, problem: `only the newest ${signatures.length} transactions of ${address} were read: older events are missing (the medshare CLI's audit reads them all)` },
      });
    }
    for (let i = 0; i < signatures.length; i += AUDIT_CONCURRENCY) {
      const batch = signatures.slice(i, i + AUDIT_CONCURRENCY);
      const transactions = await Promise.all(
        batch.map(({ signature }) =>
          rpcCall('getTransaction', () =>
            this.#rpc.getTransaction(signature as never, { commitment: 'confirmed', maxSupportedTransactionVersion: 0, encoding: 'json' }).send(),
          ),
        ),
      );
      batch.forEach((info, j) => {
        const logs = transactions[j]?.meta?.logMessages ?? [];
        const blockTime = transactions[j]?.blockTime ?? info.blockTime;
        const decoded = eventsFromLogs(logs, this.#programId);
        // an auditor must see that something may be hidden, and in which transaction
        if (decoded.truncated || decoded.problems.length > 0) {
          const why = decoded.truncated ? 'the runtime cut this transaction\'s logs at 10,000 bytes: events after the cut are missing' : decoded.problems.join('; ');
          entries.push({ signature: info.signature, slot: info.slot, blockTime: blockTime === null ? null : Number(blockTime), event: decoded.truncated ? 'LogsTruncated' : 'UnreadableEvent', fields: { problem: why } });
        }
        for (const event of decoded.events) {
          const entry: AuditEntry = { signature: info.signature, slot: info.slot, blockTime: blockTime === null ? null : Number(blockTime), event: event.name, fields: event.fields };
          if (event.name === 'PartialRejected') entry.cheater = { nodeIndex: Number(event.fields.index), authority: event.fields.authority };
          entries.push(entry);
        }
      });
    }
    return entries;
  }

  /** The record binding of `owner`'s record `recordId` at `version` (a wasm object: free it). */
  #binding(owner: Address, recordId: bigint, version: number, address: Address): WasmRecordBinding {
    return this.#wasm('binding the record', () => new this.#crypto.RecordBinding(addressBytes(this.#programId), addressBytes(owner), recordId, version, addressBytes(address)));
  }

  /** The key must be the signer's. */
  #requireKeyOf(signer: WalletSigner, key: UnlockedKey): Address {
    const wallet = parseAddress(signer.address, 'wallet');
    if (key.wallet !== wallet) throw new MedShareError('WrongWallet', `the unlocked key is ${key.wallet}'s, not the connected wallet's (${wallet})`);
    if (key.keyDomain !== this.#keyDomain) throw new MedShareError('WrongWallet', `the unlocked key was derived for ${key.keyDomain}, not ${this.#keyDomain}`);
    return wallet;
  }

  async #send(signer: WalletSigner, instructions: Instruction[]): Promise<string> {
    return sendInstructions(this.#rpc, signer, instructions, this.#programId);
  }

  /** Runs a wasm call, its error a MedShareError of the crate's name. */
  #wasm<T>(what: string, call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw cryptoError(error, what);
    }
  }
}

/** The unlocked key's public key bytes. */
function publicKeyBytes(key: UnlockedKey): Uint8Array {
  return Uint8Array.from(key.publicKey.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}

/** Where an event falls in a request's life. The slot orders an audit; within one slot the
 * transactions come from several addresses' histories, whose relative order RPC does not give,
 * so the protocol's own order decides (a share is requested before partials arrive, partials
 * before it completes, and it completes before it is revoked or expires); events of one
 * transaction keep their log order. */
function lifecycleRank(event: string): number {
  switch (event) {
    case 'RecordStored':
    case 'UserKeyRegistered':
      return 0;
    case 'ShareRequested':
      return 1;
    case 'PartialAccepted':
    case 'PartialRejected':
      return 2;
    case 'ShareCompleted':
      return 3;
    case 'ShareRevoked':
    case 'ShareRequestExpired':
      return 4;
    default:
      return 2;
  }
}
