// The web app's data layer (src/chain/) against a real playground: validator, program, a
// 3-of-5 cluster of mpc-node daemons and the demo wallets (`cargo xtask localnet`), driven
// as the browser drives it but with medshare-wasm's Node build and keypair-file wallets.
// The steps depend on each other (one patient's story), so they run in order.
//
//   MEDSHARE_LOCALNET_JSON=target/localnet/localnet.json node --test web/app/test/chain.test.mjs
//
// The CLI opens what the browser code stored (and the browser code derives the keys the CLI
// registered for the demo wallets): the interoperability proof.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createNoopSigner, createSolanaRpc } from '@solana/kit';
import { blobServer, fund, freshWallet, keypairSigner, loadDataLayer, localnet, medshareCli, nodeCrypto } from './harness.mjs';

const net = localnet();
const work = mkdtempSync(join(tmpdir(), 'medshare-web-chain-'));
let chain;
let blobs;
let medshare;
let patient;
let patientKey;
let doctor;
let doctorKey;
let inline;
let request;

/** A FHIR R4 bundle of `observations` Observations (about 330 bytes each). */
function bundle(observations, tag = 'w1') {
  const entry = [{ resource: { resourceType: 'Patient', id: `p-${tag}`, name: [{ given: ['Ada'], family: 'Lovelace' }], birthDate: '1815-12-10' } }];
  for (let i = 0; i < observations; i++) {
    entry.push({
      resource: {
        resourceType: 'Observation',
        id: `obs-${tag}-${i}`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
        subject: { reference: `Patient/p-${tag}` },
        effectiveDateTime: '2026-11-30T10:00:00Z',
        valueQuantity: { value: 60 + i, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
      },
    });
  }
  return new TextEncoder().encode(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry }));
}

const cli = (keypair, ...args) => medshareCli(['--url', net.rpc_url, '--keypair', keypair, '--key-domain', net.key_domain, ...args]);

/** Polls `check` until it returns a value or `seconds` pass. */
async function eventually(what, seconds, check) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function rejectsWith(promise, kind, pattern) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.kind ?? error.errorName, kind, `${error.name}: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('the data layer against the playground', { concurrency: false }, () => {
  before(async () => {
    chain = await loadDataLayer();
    blobs = await blobServer();
    const config = { rpcUrl: net.rpc_url, programId: net.program_id, cluster: net.cluster, keyDomain: net.key_domain, blobUploadUrl: blobs.url, chain: 'solana:localnet' };
    medshare = await chain.MedShare.load(config, { crypto: nodeCrypto() });
    const fresh = await freshWallet(work);
    patient = fresh;
    const hospital = await keypairSigner(JSON.parse(readFileSync(net.wallet('hospital').keypair, 'utf8')));
    await fund(chain, net.rpc_url, hospital, patient.signer.address, 2);
    doctor = await keypairSigner(JSON.parse(readFileSync(net.wallet('doctor').keypair, 'utf8')));
  });
  after(async () => blobs?.close());

  test('load reads the cluster; a bad configuration is refused by name', async () => {
    const cluster = await medshare.cluster();
    assert.deepEqual({ address: cluster.address, threshold: cluster.threshold, members: cluster.members, active: cluster.active }, { address: net.cluster, threshold: net.threshold, members: net.nodes.length, active: true });
    await rejectsWith(chain.MedShare.load({ rpcUrl: net.rpc_url, programId: net.program_id, cluster: 'not-an-address', keyDomain: net.key_domain }, { crypto: nodeCrypto() }), 'NotAnAddress', /cluster/);
    await rejectsWith(chain.MedShare.load({ rpcUrl: net.rpc_url, programId: net.program_id, cluster: net.program_id, keyDomain: 'x' }, { crypto: nodeCrypto() }), 'AccountDecode', /not a Cluster/);
    await rejectsWith(chain.MedShare.load({ rpcUrl: net.rpc_url, programId: net.program_id, cluster: net.cluster }, { crypto: nodeCrypto() }), 'InvalidConfig', /keyDomain/);
    await rejectsWith(chain.MedShare.load({ rpcUrl: 'localhost', programId: net.program_id, cluster: net.cluster, keyDomain: 'x' }, { crypto: nodeCrypto() }), 'InvalidConfig', /rpcUrl/);
  });

  test('a fresh wallet unlocks its key with two signatures and registers it', async () => {
    assert.deepEqual(await medshare.keyStatus(patient.signer.address), { registered: false });
    patientKey = await medshare.unlockKey(patient.signer);
    assert.equal(patient.signer.calls.signMessage, 2, 'the key message is signed twice');
    assert.match(patientKey.publicKey, /^[0-9a-f]{64}$/);
    assert.deepEqual(await medshare.keyStatus(patient.signer.address, patientKey), { registered: false });
    const signature = await medshare.registerKey(patient.signer, patientKey);
    assert.match(signature, /^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    assert.deepEqual(await medshare.keyStatus(patient.signer.address, patientKey), { registered: true, publicKey: patientKey.publicKey, matchesWallet: true });
  });

  test('a wallet that signs something else, or refuses, is refused by name (WalletRefused)', async () => {
    let n = 0;
    const wobbly = { ...patient.signer, signMessage: async (m) => { const s = await patient.signer.signMessage(m); if (n++ === 1) s[0] ^= 1; return s; } };
    await rejectsWith(medshare.unlockKey(wobbly), 'WalletRefused', /does not verify/);
    const refusing = { ...patient.signer, signMessage: async () => { throw new Error('User rejected the request'); } };
    await rejectsWith(medshare.unlockKey(refusing), 'WalletRefused', /User rejected/);
  });

  test('the demo doctor derives in JavaScript the key the CLI registered for it', async () => {
    doctorKey = await medshare.unlockKey(doctor);
    const status = await medshare.keyStatus(doctor.address, doctorKey);
    assert.equal(status.registered, true);
    assert.equal(status.matchesWallet, true, `the CLI registered ${status.publicKey}, the browser derived ${doctorKey.publicKey}`);
  });

  test('validateFhir names the element path', () => {
    const check = (value) => () => medshare.validateFhir(new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
    assert.throws(check('{"resourceType": '), (e) => e.kind === 'NotFhir' && /not JSON/.test(e.message));
    assert.throws(check([1]), (e) => e.kind === 'NotFhir' && /\(root\): a FHIR resource is a JSON object/.test(e.message));
    assert.throws(check({ resourceType: 'Patiant' }), (e) => e.kind === 'NotFhir' && /Patiant\.resourceType: "Patiant" is not a FHIR R4 resource type/.test(e.message));
    assert.throws(
      check({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient' } }, { fullUrl: 'urn:x' }] }),
      (e) => e.kind === 'NotFhir' && /Bundle\.entry\[1\]\.resource: missing/.test(e.message),
    );
    assert.throws(
      check({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Observatoin' } }] }),
      (e) => e.kind === 'NotFhir' && /Bundle\.entry\[0\]\.resource\.resourceType: "Observatoin"/.test(e.message),
    );
    const summary = medshare.validateFhir(bundle(2));
    assert.equal(summary.resourceType, 'Bundle');
    assert.deepEqual(summary.entries.map((e) => [e.resourceType, e.summary]), [
      ['Patient', 'Ada Lovelace · 1815-12-10'],
      ['Observation', 'Heart rate · 60 beats/minute · final · 2026-11-30T10:00:00Z'],
      ['Observation', 'Heart rate · 61 beats/minute · final · 2026-11-30T10:00:00Z'],
    ]);
  });

  test('store seals a bundle inline over several transactions; myRecords lists it; the owner opens it', async () => {
    const fhir = bundle(4); // ~1.5 KB: sealed inline in three transactions
    const phases = [];
    inline = await medshare.store(patient.signer, patientKey, fhir, (done, total, phase) => phases.push(`${phase} ${done}/${total}`));
    assert.equal(inline.recordId, 1n);
    assert.equal(inline.version, 1);
    assert.equal(inline.storage, 'inline');
    assert.equal(inline.length, Number(nodeCrypto().ciphertextLen(BigInt(fhir.length))));
    assert.equal(inline.complete, true);
    assert.equal(inline.needsRekey, false);
    const writes = Math.ceil(inline.length / 600);
    assert.ok(writes >= 3, `${inline.length} sealed bytes`);
    assert.deepEqual(phases.filter((p) => p.startsWith('writing')), [...Array(writes + 1).keys()].map((i) => `writing ${i}/${writes}`));
    const listed = await medshare.myRecords(patient.signer.address);
    assert.deepEqual(listed, [inline]);
    assert.deepEqual(await medshare.openOwn(patientKey, inline), fhir);
  });

  test('the real CLI opens the record the browser code stored (interoperability)', async () => {
    const opened = await cli(patient.path, 'open', inline.address);
    assert.equal(opened.opened_as, 'owner');
    assert.equal(opened.plaintext, new TextDecoder().decode(bundle(4)));
    const listed = await cli(patient.path, 'list');
    assert.deepEqual(listed.records.map((r) => [r.record, r.record_id, r.version, r.storage]), [[inline.address, 1, 1, 'inline']]);
  });

  test('the browser code opens a record the real CLI stored', async () => {
    const file = join(work, 'from-cli.json');
    const fhir = bundle(2, 'cli');
    writeFileSync(file, fhir);
    const stored = await cli(patient.path, '--yes', 'store', file, '--cluster', net.cluster, '--id', '50');
    const [record] = (await medshare.myRecords(patient.signer.address)).filter((r) => r.recordId === 50n);
    assert.equal(record.address, stored.record);
    assert.deepEqual(await medshare.openOwn(patientKey, record), fhir);
  });

  test('a share to an unregistered wallet or a non-address is refused by name, before signing', async () => {
    const stranger = await freshWallet(work);
    const before = patient.signer.calls.signTransaction;
    await rejectsWith(medshare.share(patient.signer, inline, stranger.signer.address, 0), 'RecipientNotRegistered', /the recipient has not registered an encryption key/);
    await rejectsWith(medshare.share(patient.signer, inline, 'doctor@example.org', 0), 'NotAnAddress', /recipient address/);
    await rejectsWith(medshare.share(patient.signer, inline, doctor.address, 1000), 'ExpiryInPast');
    assert.equal(patient.signer.calls.signTransaction, before, 'nothing was signed');
  });

  test('a program error is named from the simulation logs (AnchorError line), with the IDL name', async () => {
    const { getAppendPatientDataInstruction } = chain.generated;
    // an append at the wrong offset: the client never builds it, the program refuses it
    const bad = getAppendPatientDataInstruction({ owner: createNoopSigner(patient.signer.address), record: inline.address, version: 1, offset: 7, chunk: [1, 2, 3] }, { programAddress: net.program_id });
    await assert.rejects(chain.sendInstructions(createSolanaRpc(net.rpc_url), patient.signer, [bad], net.program_id), (error) => {
      assert.ok(error instanceof chain.ProgramError, `${error.name}: ${error.message}`);
      assert.match(error.errorName, /^[A-Z][A-Za-z]+$/);
      assert.ok(error.code >= 6000, `code ${error.code}`);
      assert.ok(error.logs.some((line) => line.includes(`Error Code: ${error.errorName}.`)), error.logs.join('\n'));
      return true;
    });
  });

  test('share to the doctor; the nodes post their partials; the access list shows k of t', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    request = await medshare.share(patient.signer, inline, doctor.address, expiresAt);
    assert.deepEqual(
      { owner: request.owner, recipient: request.recipient, record: request.record, recordId: request.recordId, version: request.version, threshold: request.threshold, expiresAt: request.expiresAt },
      { owner: patient.signer.address, recipient: doctor.address, record: inline.address, recordId: 1n, version: 1, threshold: net.threshold, expiresAt },
    );
    assert.ok(['pending', 'completed'].includes(request.status));
    const done = await eventually('the share completing', 90, async () => {
      const [listed] = await medshare.accessList(patient.signer.address, inline.address);
      return listed.status === 'completed' && listed;
    });
    assert.equal(done.address, request.address);
    assert.equal(done.accepted, net.threshold, `${done.accepted} of ${done.threshold}`);
    assert.deepEqual((await medshare.accessList(patient.signer.address)).map((r) => r.address), [request.address]);
  });

  test('the doctor sees it shared and opens the same bytes; the owner cannot open it as recipient', async () => {
    const shared = await medshare.sharedWithMe(doctor.address);
    const mine = shared.find((r) => r.address === request.address);
    assert.ok(mine, 'listed for the doctor');
    assert.equal(mine.status, 'completed');
    const phases = new Set();
    assert.deepEqual(await medshare.open(doctorKey, mine, (_, __, phase) => phases.add(phase)), bundle(4));
    assert.ok(phases.has('decrypting'));
    await rejectsWith(medshare.open(patientKey, mine), 'NotRecipient');
  });

  test('revoke: the list says revoked, the doctor is refused by name', async () => {
    await rejectsWith(medshare.revoke(doctor, request.address), 'NotOwner');
    const signature = await medshare.revoke(patient.signer, request.address);
    assert.match(signature, /^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    const [listed] = await medshare.accessList(patient.signer.address, inline.address);
    assert.equal(listed.status, 'revoked');
    await rejectsWith(medshare.open(doctorKey, listed), 'Revoked');
    await rejectsWith(medshare.revoke(patient.signer, request.address), 'AlreadyRevoked');
  });

  test('audit rebuilds the record history with block times, in slot order', async () => {
    const history = await medshare.audit({ record: inline.address });
    const names = history.map((entry) => entry.event);
    assert.equal(names[0], 'RecordStored');
    for (const name of ['ShareRequested', 'ShareCompleted', 'ShareRevoked']) assert.equal(names.filter((n) => n === name).length, 1, `${name} in ${names}`);
    assert.ok(names.filter((n) => n === 'PartialAccepted').length >= net.threshold, names.join(','));
    assert.ok(names.indexOf('ShareRequested') < names.indexOf('ShareCompleted') && names.indexOf('ShareCompleted') < names.indexOf('ShareRevoked'));
    for (const entry of history) {
      assert.equal(typeof entry.blockTime, 'number', `${entry.event} has a block time`);
      assert.ok(Math.abs(entry.blockTime - Date.now() / 1000) < 3600);
    }
    assert.ok(history.every((entry, i) => i === 0 || history[i - 1].slot <= entry.slot));
    const accepted = history.find((entry) => entry.event === 'PartialAccepted');
    assert.equal(accepted.fields.request, request.address);
    assert.ok(net.nodes.some((node) => node.authority === accepted.fields.authority));
    const requested = history.find((entry) => entry.event === 'ShareRequested');
    assert.equal(requested.fields.recipient, doctor.address);
    // the recipient's view holds the same share, the owner's too
    const byRecipient = await medshare.audit({ recipient: doctor.address });
    assert.ok(byRecipient.some((entry) => entry.event === 'ShareRevoked' && entry.fields.request === request.address));
    const byOwner = await medshare.audit({ owner: patient.signer.address });
    assert.ok(byOwner.some((entry) => entry.event === 'UserKeyRegistered'));
    await rejectsWith(medshare.audit({}), 'InvalidAuditTarget');
  });

  test('a record too large for an account goes to the blob store; the CLI opens it from the http URI', async () => {
    const fhir = bundle(420, 'blob'); // ~150 KB: three 64 KiB chunks, the last one short
    assert.ok(fhir.length > 2 * nodeCrypto().chunkLen() && fhir.length < 3 * nodeCrypto().chunkLen());
    const stored = await medshare.store(patient.signer, patientKey, fhir);
    assert.equal(stored.storage, 'blob');
    assert.equal(stored.recordId, 51n, 'one past the highest id, as the CLI numbers them');
    assert.match(stored.uri, new RegExp(`^${blobs.url}[0-9a-f]{64}$`));
    assert.equal(blobs.blobs.get(stored.uri.slice(-64)).length, stored.length);
    assert.deepEqual(await medshare.openOwn(patientKey, stored), fhir);
    const opened = await cli(patient.path, 'open', stored.address);
    assert.equal(opened.plaintext, new TextDecoder().decode(fhir));
    // a tampered blob is refused before decryption
    const blob = blobs.blobs.get(stored.uri.slice(-64));
    blob[blob.length - 1] ^= 1;
    await rejectsWith(medshare.openOwn(patientKey, stored), 'BlobMismatch', /digest/);
    blob[blob.length - 1] ^= 1;
    // without a blob store, the same record is refused by name
    const inlineOnly = await chain.MedShare.load({ ...medshare.config, blobUploadUrl: undefined }, { crypto: nodeCrypto() });
    await rejectsWith(inlineOnly.store(patient.signer, patientKey, fhir), 'TooLargeForInline', /no blob store/);
  });

  test('storeVersion and rekey write the next versions; the CLI reads the latest', async () => {
    const updated = bundle(1, 'v2');
    const second = await medshare.storeVersion(patient.signer, patientKey, 1n, updated);
    assert.deepEqual([second.recordId, second.version, second.address], [1n, 2, inline.address]);
    const third = await medshare.rekey(patient.signer, patientKey, second);
    assert.deepEqual([third.recordId, third.version], [1n, 3]);
    assert.deepEqual(await medshare.openOwn(patientKey, third), updated);
    assert.equal((await cli(patient.path, 'open', inline.address)).plaintext, new TextDecoder().decode(updated));
  });
});
