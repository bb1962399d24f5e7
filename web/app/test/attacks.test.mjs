// Adversarial review of the web app's data layer (issue #14): attacks a malicious record owner,
// anyone able to send cheap transactions, or a misbehaving wallet can mount against a browser
// user, each written as a test that passes only once the attack is stopped. No chain is
// needed: a small JSON-RPC server in this process answers exactly what an honest RPC node would
// answer for the chain state the attacker created (a record with the lengths and URI its owner
// chose, a share request whose partials honest nodes posted, a history padded with cheap
// transactions). Runs in a few seconds:  node --test web/app/test/attacks.test.mjs

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { getAddressDecoder, getAddressEncoder, getBase58Decoder } from '@solana/kit';
import { keypairSigner, loadDataLayer, nodeCrypto } from './harness.mjs';

/** The program id the generated client was rendered with (the IDL's address). */
let PROGRAM;
let chain;
let wasm;
const addressDecoder = getAddressDecoder();
const addressEncoder = getAddressEncoder();
const base58 = getBase58Decoder();

const randomAddress = () => addressDecoder.decode(randomBytes(32));
const randomSignature = () => base58.decode(randomBytes(64));

/** A valid Ristretto point (a public key of a random scalar), and its secret. */
function randomPoint() {
  const secret = randomBytes(32);
  secret[31] &= 0x0f; // below the group order: canonical
  secret[0] |= 1; // not zero
  const key = wasm.UserKey.fromSecretBytes(secret);
  const point = new Uint8Array(key.publicKey());
  key.free();
  return point;
}

/** An account of `kind` ('Record', 'ShareRequest', 'Cluster', 'UserKey') with `fields` over an
 * all-zero one: the generated codec's bytes, discriminator included. */
function accountBytes(kind, fields) {
  const g = chain.generated;
  const size = g[`get${kind}Size`]();
  const blank = new Uint8Array(size);
  const discriminator = g[`${kind.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c).toUpperCase()}_DISCRIMINATOR`];
  blank.set(discriminator, 0);
  const decoded = g[`get${kind}Decoder`]().decode(blank);
  const bytes = new Uint8Array(g[`get${kind}Encoder`]().encode({ ...decoded, ...fields }));
  assert.equal(bytes.length, size, `${kind} encodes to its size`);
  return bytes;
}

/** A JSON-RPC node serving `accounts` (address → bytes, owned by the program), signature
 * pages per address and transactions' logs; `calls` counts the methods asked. */
async function fakeRpc({ accounts = new Map(), signaturesOf = () => [], logsOf = () => [] }) {
  const calls = {};
  const answer = (method, params) => {
    calls[method] = (calls[method] ?? 0) + 1;
    switch (method) {
      case 'getAccountInfo': {
        const data = accounts.get(params[0]);
        if (!data) return { context: { slot: 1 }, value: null };
        return {
          context: { slot: 1 },
          value: { data: [Buffer.from(data).toString('base64'), 'base64'], executable: false, lamports: 1_000_000, owner: PROGRAM, rentEpoch: 0, space: data.length },
        };
      }
      case 'getProgramAccounts': {
        const filters = params[1]?.filters ?? [];
        const matches = (data) =>
          filters.every((filter) =>
            filter.dataSize !== undefined
              ? data.length === Number(filter.dataSize)
              : Buffer.from(data.subarray(Number(filter.memcmp.offset), Number(filter.memcmp.offset) + 32)).equals(Buffer.from(addressBytes(filter.memcmp.bytes))),
          );
        return [...accounts]
          .filter(([, data]) => matches(data))
          .map(([pubkey, data]) => ({
            pubkey,
            account: { data: [Buffer.from(data).toString('base64'), 'base64'], executable: false, lamports: 1_000_000, owner: PROGRAM, rentEpoch: 0, space: data.length },
          }));
      }
      case 'getSignaturesForAddress': {
        const all = signaturesOf(params[0]);
        const options = params[1] ?? {};
        const start = options.before ? all.findIndex((s) => s.signature === options.before) + 1 : 0;
        return all.slice(start, start + (options.limit ?? 1000));
      }
      case 'getLatestBlockhash':
        return { context: { slot: 1 }, value: { blockhash: base58.decode(new Uint8Array(32).fill(7)), lastValidBlockHeight: 100 } };
      case 'getTransaction':
        return { slot: 10, blockTime: 1_700_000_000, meta: { err: null, logMessages: logsOf(params[0]) }, transaction: { signatures: [params[0]] } };
      default:
        throw new Error(`the fake RPC does not answer ${method}`);
    }
  };
  const server = createServer((request, response) => {
    const parts = [];
    request.on('data', (part) => parts.push(part));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      const one = (call) => {
        try {
          return { jsonrpc: '2.0', id: call.id, result: answer(call.method, call.params ?? []) };
        } catch (error) {
          return { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: error.message } };
        }
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(Array.isArray(body) ? body.map(one) : one(body)));
    });
  });
  await listen(server);
  return { url: `http://127.0.0.1:${server.address().port}`, calls, close: () => close(server) };
}

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const close = (server) => new Promise((resolve) => server.close(resolve));

/** An HTTP server answering every request with `handler`, counting the requests. */
async function httpServer(handler) {
  const hits = [];
  const server = createServer((request, response) => {
    hits.push(request.url);
    handler(request, response);
  });
  await listen(server);
  return { origin: `http://127.0.0.1:${server.address().port}`, hits, close: () => close(server) };
}

/**
 * The chain state of a share a malicious record owner made to `victim`: a blob record with the
 * length, digest and URI the owner chose, its capsule and proof genuine (so the program stored
 * it and the recipient's checks pass), a completed request to the victim's registered key with
 * the partials the nodes posted. Returns the accounts and the request's summary.
 */
function maliciousShare({ victim, ciphertextLen, uri, digest }) {
  const owner = randomAddress();
  const cluster = randomAddress();
  const record = randomAddress();
  const request = randomAddress();
  const clusterKey = randomPoint();
  const binding = new wasm.RecordBinding(addressBytes(PROGRAM), addressBytes(owner), 1n, 1, addressBytes(record));
  const sealed = wasm.sealRecord(binding, addressBytes(cluster), clusterKey, randomPoint(), new TextEncoder().encode('{"resourceType":"Patient"}'));
  const capsule = new Uint8Array(sealed.clusterCapsule);
  const capsuleProof = new Uint8Array(sealed.capsuleProof);
  const ownerCapsule = new Uint8Array(sealed.ownerCapsule);
  sealed.free();
  binding.free();
  const uriBytes = new Uint8Array(128);
  const encodedUri = new TextEncoder().encode(uri);
  uriBytes.set(encodedUri);
  const accounts = new Map();
  accounts.set(
    record,
    accountBytes('Record', {
      owner,
      cluster,
      recordId: 1n,
      version: 1,
      ciphertextLen,
      storage: 1,
      uriLen: encodedUri.length,
      uri: uriBytes,
      digest,
      clusterKey,
      clusterCapsule: capsule,
      capsuleProof,
      ownerCapsule,
    }),
  );
  const blank = chain.generated.getShareRequestDecoder().decode(accountBytes('ShareRequest', {}));
  const partials = blank.partials.map((partial, i) => (i < 3 ? { ...partial, a: randomPoint(), e: randomPoint() } : partial));
  accounts.set(
    request,
    accountBytes('ShareRequest', {
      record,
      owner,
      recipient: victim.wallet,
      recipientKey: hexBytes(victim.publicKey),
      cluster,
      capsule,
      capsuleProof,
      recordVersion: 1,
      accepted: 0b111,
      acceptedCount: 3,
      threshold: 3,
      status: 1, // completed
      expiresAt: 0n,
      partials,
    }),
  );
  return { accounts, request: { address: request, owner, recipient: victim.wallet, record, recordId: 1n, version: 1, status: 'completed', accepted: 3, threshold: 3, expiresAt: 0, createdAt: 0 } };
}

/** The 32 bytes of a base58 address. */
const addressBytes = (address) => new Uint8Array(addressEncoder.encode(address));
const hexBytes = (hex) => Uint8Array.from(hex.match(/../g), (byte) => Number.parseInt(byte, 16));

/** The data layer on `rpcUrl` with a cluster account at `cluster`. */
async function medshareOn(rpc, accounts, cluster) {
  accounts.set(cluster, accountBytes('Cluster', { status: 2, threshold: 3 }));
  return chain.MedShare.load({ rpcUrl: rpc.url, programId: PROGRAM, cluster, keyDomain: 'localhost:8080' }, { crypto: wasm });
}

/** `promise` rejects; returns the error. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection, but it resolved');
}

describe('attacks on the web app data layer', () => {
  let victim;
  let victimSigner;

  before(async () => {
    chain = await loadDataLayer();
    wasm = nodeCrypto();
    PROGRAM = chain.generated.MEDICAL_RECORDS_PROGRAM_ADDRESS;
    const { webcrypto } = await import('node:crypto');
    const pair = await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
    const publicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', pair.publicKey));
    victimSigner = await keypairSigner([...pkcs8.subarray(pkcs8.length - 32), ...publicKey]);
  });

  /** The victim's key, unlocked by its wallet's two signatures (the previous one forgotten). */
  async function unlockVictim(medshare) {
    victim?.forget();
    victim = await medshare.unlockKey(victimSigner);
    return victim;
  }

  // (c) malicious owner. The record's `ciphertext_len` is the owner's to choose (the program
  // bounds blob records from below only). The recipient's browser allocates that many bytes
  // before the first byte arrives (`new Uint8Array(length)` in #sealedBytes) and then fetches
  // the owner's URI, which may stream all of it: up to 4 GiB in one tab, then SHA-256 and a
  // copy into wasm memory. The CLI streams to a temporary file; the browser should refuse a
  // length it cannot hold before fetching anything.
  test('a record whose owner claims a 4 GiB ciphertext is refused by name before anything is fetched', async () => {
    const blob = await httpServer((_, response) => response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(64)));
    const cluster = randomAddress();
    const accounts = new Map();
    const rpc = await fakeRpc({ accounts });
    try {
      const medshare = await medshareOn(rpc, accounts, cluster);
      const key = await unlockVictim(medshare);
      const share = maliciousShare({ victim: key, ciphertextLen: 0xffff_ffff, uri: `${blob.origin}/blobs/${'ab'.repeat(32)}`, digest: randomBytes(32) });
      for (const [address, data] of share.accounts) accounts.set(address, data);
      const error = await rejection(medshare.open(key, share.request));
      assert.ok(error instanceof chain.MedShareError, `a named refusal, not ${error?.name}: ${error?.message}`);
      assert.notEqual(error.kind, 'BlobMismatch', `refused only after downloading: ${error.message}`);
      assert.deepEqual(blob.hits, [], 'the owner-chosen URI was fetched for a record the page cannot hold');
    } finally {
      await rpc.close();
      await blob.close();
    }
  });

  // (c) malicious owner. The threat model (§2, blob stores) says readers follow no redirect and
  // time out (client/src/blob.rs: `redirect::Policy::none()`, connect and read timeouts). The
  // browser's `fetch(uri)` follows redirects (to any origin the CSP allows, and to any origin
  // at all in a static deployment, which has no CSP) and never times out.
  test('a blob URI that redirects is not followed', async () => {
    const target = await httpServer((_, response) => response.writeHead(200).end(Buffer.alloc(64)));
    const redirector = await httpServer((_, response) => response.writeHead(302, { location: `${target.origin}/intranet/secret` }).end());
    const cluster = randomAddress();
    const accounts = new Map();
    const rpc = await fakeRpc({ accounts });
    try {
      const medshare = await medshareOn(rpc, accounts, cluster);
      const key = await unlockVictim(medshare);
      const digest = createHash('sha256').update(Buffer.alloc(64)).digest();
      const share = maliciousShare({ victim: key, ciphertextLen: 64, uri: `${redirector.origin}/blobs/x`, digest });
      for (const [address, data] of share.accounts) accounts.set(address, data);
      const error = await rejection(medshare.open(key, share.request));
      assert.deepEqual(target.hits, [], `the redirect was followed to ${target.origin} (then: ${error.name}: ${error.message})`);
    } finally {
      await rpc.close();
      await redirector.close();
      await target.close();
    }
  });

  test('a blob store that never answers does not hold the page forever (the fetch has a deadline)', async () => {
    // what the blob fetch is given, recorded without waiting for any deadline to pass
    const stalled = await httpServer(() => {});
    const cluster = randomAddress();
    const accounts = new Map();
    const rpc = await fakeRpc({ accounts });
    const realFetch = globalThis.fetch;
    let blobInit;
    globalThis.fetch = (input, init) => {
      if (String(input).startsWith(stalled.origin)) {
        blobInit = init ?? {};
        return Promise.reject(new Error('stopped by the test'));
      }
      return realFetch(input, init);
    };
    try {
      const medshare = await medshareOn(rpc, accounts, cluster);
      const key = await unlockVictim(medshare);
      const share = maliciousShare({ victim: key, ciphertextLen: 64, uri: `${stalled.origin}/blobs/y`, digest: randomBytes(32) });
      for (const [address, data] of share.accounts) accounts.set(address, data);
      await rejection(medshare.open(key, share.request));
      assert.ok(blobInit, 'the blob was fetched');
      assert.ok(blobInit.signal instanceof AbortSignal, 'the blob fetch has no deadline (no AbortSignal): a stalled store hangs "Open" forever');
    } finally {
      globalThis.fetch = realFetch;
      await rpc.close();
      await stalled.close();
    }
  });

  // Anyone (no RPC control needed). `audit()` reads at most AUDIT_MAX_SIGNATURES (5,000)
  // successful signatures per address, newest first, and stops without saying so. A
  // recipient who wants its share out of the patient's audit sends 5,000 cheap transactions
  // that merely list the record's address (~0.025 SOL of fees): the `ShareRequested` event
  // falls past the cap, so the request is never discovered and its partials, completion and
  // revocation vanish too. The CLI (client/src/rpc.rs `events_mentioning`) reads every page.
  test('padding an address with 5,000 cheap transactions does not silently hide its share from the audit', async () => {
    const record = randomAddress();
    const request = randomAddress();
    const owner = randomAddress();
    const recipient = randomAddress();
    const padding = Array.from({ length: 5000 }, () => ({ signature: randomSignature(), slot: 20n, err: null, memo: null, blockTime: 1_700_000_100, confirmationStatus: 'confirmed' }));
    const shareTx = { signature: randomSignature(), slot: 5, err: null, memo: null, blockTime: 1_700_000_000, confirmationStatus: 'confirmed' };
    const event = chain.IDL_EVENTS.find((e) => e.name === 'ShareRequested');
    const values = { record, request, owner, recipient };
    const body = [];
    for (const [name, type] of event.fields) {
      if (type === 'pubkey') body.push(...addressBytes(values[name] ?? randomAddress()));
      else if (type === 'bool') body.push(0);
      else {
        const width = { u8: 1, u16: 2, u32: 4, u64: 8, i64: 8 }[type] ?? Number(type.slice('bytes'.length));
        body.push(...new Uint8Array(width));
      }
    }
    const logs = [`Program ${PROGRAM} invoke [1]`, `Program data: ${Buffer.from([...event.discriminator, ...body]).toString('base64')}`, `Program ${PROGRAM} success`];
    const cluster = randomAddress();
    const accounts = new Map();
    let padded = 10;
    // the request account itself is gone (an expired request is freed), as is the case
    // the history alone must tell
    const rpc = await fakeRpc({
      accounts,
      signaturesOf: (address) => (address === record ? [...padding.slice(0, padded).map((p) => ({ ...p, slot: 20 })), { ...shareTx }] : address === request ? [{ ...shareTx }] : []),
      logsOf: (signature) => (signature === shareTx.signature ? logs : []),
    });
    try {
      const medshare = await medshareOn(rpc, accounts, cluster);
      // control: with a little padding the share is in the record's history
      const control = await medshare.audit({ record });
      assert.ok(
        control.some((entry) => entry.event === 'ShareRequested' && entry.fields.request === request),
        `the control audit misses the share: ${JSON.stringify(control.map((entry) => entry.event))}`,
      );
      padded = padding.length;
      const history = await medshare.audit({ record });
      const shown = history.some((entry) => entry.event === 'ShareRequested' && entry.fields.request === request);
      const warned = history.some((entry) => entry.event !== 'ShareRequested' && /truncat|incomplete|limit/i.test(`${entry.event} ${entry.fields.problem ?? ''}`));
      assert.ok(shown || warned, `the audit of ${record} dropped the share to ${recipient} without a word (${history.length} entries)`);
    } finally {
      await rpc.close();
    }
  });

  // (f) a misbehaving wallet. unlockKey checks that both signatures verify under the wallet's
  // address, but only where WebCrypto has Ed25519 (verifyEd25519 returns `undefined`, and the
  // check is skipped, on Safari < 17 and Firefox < 129). There a wallet that answers any fixed
  // 64 bytes (all zeros: a stub, a bug) passes the determinism check, and every user of that
  // wallet derives the same, publicly computable key. medshare-wasm already links
  // ed25519-dalek: the check can be made everywhere.
  test('a wallet answering a fixed non-signature is refused even where WebCrypto lacks Ed25519', async () => {
    const cluster = randomAddress();
    const accounts = new Map();
    const rpc = await fakeRpc({ accounts });
    const subtle = globalThis.crypto.subtle;
    const importKey = subtle.importKey;
    subtle.importKey = function (format, keyData, algorithm, ...rest) {
      if ((algorithm?.name ?? algorithm) === 'Ed25519') return Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'));
      return importKey.call(this, format, keyData, algorithm, ...rest);
    };
    try {
      const medshare = await medshareOn(rpc, accounts, cluster);
      const stub = { address: victimSigner.address, signMessage: async () => new Uint8Array(64), signTransaction: async (wire) => wire };
      const error = await rejection(medshare.unlockKey(stub));
      assert.ok(error instanceof chain.MedShareError, `a named refusal, not ${error?.name}: ${error?.message}`);
    } finally {
      delete subtle.importKey;
      if (subtle.importKey !== importKey) subtle.importKey = importKey;
      await rpc.close();
    }
  });

  // (f) a wallet that signs another transaction than the one shown (another recipient, another
  // program): what it returns is compared with what the app built, and nothing is sent.
  test('a wallet that signs a different transaction is refused and nothing is sent', async () => {
    const rpc = await fakeRpc({});
    try {
      const { createSolanaRpc } = await import('@solana/kit');
      const instruction = { programAddress: PROGRAM, accounts: [], data: new Uint8Array([1, 2, 3]) };
      const swapping = {
        address: victimSigner.address,
        signMessage: victimSigner.signMessage,
        // flips the instruction data's last byte (the message's last byte), then signs that
        signTransaction: async (wire) => {
          const changed = Uint8Array.from(wire);
          changed[changed.length - 1] ^= 1;
          return victimSigner.signTransaction(changed);
        },
      };
      const error = await rejection(chain.sendInstructions(createSolanaRpc(rpc.url), swapping, [instruction], PROGRAM));
      assert.equal(error.kind, 'WalletChangedTransaction', `${error.name}: ${error.message}`);
      assert.equal(rpc.calls.sendTransaction, undefined, 'nothing reaches the RPC node');
      // the same wallet, honest: the transaction it returns passes the comparison and is sent
      const honest = await rejection(chain.sendInstructions(createSolanaRpc(rpc.url), victimSigner, [instruction], PROGRAM));
      assert.equal(rpc.calls.sendTransaction, 1, `an unchanged transaction is sent (${honest.message})`);
    } finally {
      await rpc.close();
    }
  });

  after(() => {
    victim?.forget();
  });
});
