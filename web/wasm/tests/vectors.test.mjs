// The WebAssembly build of encrypted-circuits (web/wasm, built by `cargo xtask wasm`) in Node:
// the published test vectors (encrypted-circuits/tests/vectors/*.json) hold under the crate's
// own checker compiled to wasm, and the bindings the web app calls open, combine, seal and
// derive exactly what the vectors and the native crate say.
//
//   MEDSHARE_WASM_PKG=<wasm-bindgen --target nodejs output dir> node --test web/wasm/tests/vectors.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createPrivateKey, sign, getRandomValues } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
const vectorsDir = join(here, "..", "..", "..", "encrypted-circuits", "tests", "vectors");
const pkg = process.env.MEDSHARE_WASM_PKG;
assert.ok(pkg, "MEDSHARE_WASM_PKG names the wasm-bindgen output directory (cargo xtask wasm sets it)");
const wasm = createRequire(import.meta.url)(join(pkg, "medshare_wasm.js"));

const text = (name) => readFileSync(join(vectorsDir, name), "utf8");
const hex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
const toHex = (bytes) => Buffer.from(bytes).toString("hex");
const concat = (...parts) => Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p))));
const reencrypt = JSON.parse(text("reencrypt.json"));

// a call that must throw the crate's error named `name`
function throwsNamed(call, name) {
  assert.throws(call, (error) => {
    assert.equal(error.name, name, `expected ${name}, got ${error.name}: ${error.message}`);
    assert.ok(error.message.length > 0, "the error says what failed");
    return true;
  });
}

const bindingOf = (c, version = c.record.version) =>
  new wasm.RecordBinding(hex(c.program_id), hex(c.record.owner), BigInt(c.record.record_id), version, hex(c.record.record_address));
const capsuleOf = (capsule) => concat(hex(capsule.c1), hex(capsule.c2));
const partialsOf = (partials) => ({
  indices: Uint16Array.from(partials.map((p) => p.index)),
  points: concat(...partials.map((p) => concat(hex(p.a), hex(p.e)))),
});

test("every published vector holds under the crate's checker compiled to wasm", () => {
  assert.equal(wasm.checkReencryptVectors(text("reencrypt.json")), reencrypt.cases.length + reencrypt.key_possession.length);
  assert.equal(wasm.checkCeremonyVectors(text("ceremony.json")), JSON.parse(text("ceremony.json")).ceremonies.length);
  const streams = JSON.parse(text("stream.json"));
  assert.equal(wasm.checkStreamVectors(text("stream.json")), streams.cases.length);
  assert.ok(reencrypt.cases.length >= 4 && streams.cases.length >= 6, "the files hold their cases");
});

test("a changed vector fails the check in wasm, by name", () => {
  const changed = JSON.parse(text("reencrypt.json"));
  const e = changed.cases[1].partials[0].e;
  changed.cases[1].partials[0].e = (e[0] === "0" ? "1" : "0") + e.slice(1);
  throwsNamed(() => wasm.checkReencryptVectors(JSON.stringify(changed)), "VectorMismatch");
  const streams = JSON.parse(text("stream.json"));
  const tag = streams.cases[5].tags[1];
  streams.cases[5].tags[1] = tag.slice(0, -1) + (tag.endsWith("0") ? "1" : "0");
  throwsNamed(() => wasm.checkStreamVectors(JSON.stringify(streams)), "VectorMismatch");
  throwsNamed(() => wasm.checkCeremonyVectors("{"), "InvalidVectorFile");
});

test("a recipient combines the published partials and opens the published record", () => {
  for (const c of reencrypt.cases) {
    const what = `t=${c.t} n=${c.n}`;
    const binding = bindingOf(c);
    const capsule = capsuleOf(c.capsule);
    const proof = concat(hex(c.capsule_proof.c), hex(c.capsule_proof.z));
    binding.verifyClusterCapsule(hex(c.cluster), hex(c.cluster_public_key), capsule, proof);
    throwsNamed(() => bindingOf(c, c.record.version + 1).verifyClusterCapsule(hex(c.cluster), hex(c.cluster_public_key), capsule, proof), "InvalidCapsuleProof");

    const recipient = wasm.UserKey.fromSecretBytes(hex(c.recipient.secret));
    assert.equal(toHex(recipient.publicKey()), c.recipient.public, what);
    const { indices, points } = partialsOf(c.partials);
    const share = wasm.combinePartials(capsule, indices, points, c.t);
    const plaintext = wasm.openRecord(binding, share.open(recipient), hex(c.record.sealed));
    assert.equal(toHex(plaintext), c.record.plaintext, `${what}: the recipient's plaintext`);

    const fewer = partialsOf(c.partials.slice(1));
    throwsNamed(() => wasm.combinePartials(capsule, fewer.indices, fewer.points, c.t), "NotEnoughPartials");
    const owner = wasm.UserKey.fromSecretBytes(hex(c.owner_key.secret));
    assert.equal(toHex(wasm.openRecord(binding, wasm.openCapsule(owner, capsuleOf(c.owner_capsule)), hex(c.record.sealed))), c.record.plaintext, `${what}: the owner's`);
    // the owner capsule opened with the recipient's key gives another point: the record refuses it
    throwsNamed(() => wasm.openRecord(binding, wasm.openCapsule(recipient, capsuleOf(c.owner_capsule)), hex(c.record.sealed)), "DecryptionFailed");
    throwsNamed(() => wasm.openRecord(bindingOf(c, c.record.version + 1), share.open(recipient), hex(c.record.sealed)), "DecryptionFailed");
  }
});

test("the chunked opener reads the published record as the in-memory one does", () => {
  const c = reencrypt.cases.find((c) => c.record.plaintext.length > 0);
  const sealed = hex(c.record.sealed);
  const recipient = wasm.UserKey.fromSecretBytes(hex(c.recipient.secret));
  const { indices, points } = partialsOf(c.partials);
  const key = wasm.combinePartials(capsuleOf(c.capsule), indices, points, c.t).open(recipient);
  const opener = new wasm.RecordOpener(bindingOf(c), key, sealed.subarray(0, wasm.headerLen()));
  assert.equal(toHex(opener.openLast(sealed.subarray(wasm.headerLen()))), c.record.plaintext);
  throwsNamed(() => opener.openLast(sealed.subarray(wasm.headerLen())), "StreamFinished");
  const tampered = Uint8Array.from(sealed);
  tampered[tampered.length - 1] ^= 1;
  throwsNamed(() => wasm.openRecord(bindingOf(c), key, tampered), "DecryptionFailed");
  throwsNamed(() => wasm.openRecord(bindingOf(c), key, sealed.subarray(0, 3)), "StreamTruncated");
});

test("the published proofs of possession verify, and fresh ones made in wasm do too", () => {
  for (const v of reencrypt.key_possession) {
    const key = wasm.UserKey.fromSecretBytes(hex(v.secret));
    assert.equal(toHex(key.publicKey()), v.public);
    wasm.verifyKeyPossession(hex(v.wallet), hex(v.public), concat(hex(v.r), hex(v.z)));
    const fresh = key.provePossession(hex(v.wallet));
    assert.equal(fresh.length, 64);
    wasm.verifyKeyPossession(hex(v.wallet), hex(v.public), fresh);
    const other = Uint8Array.from(hex(v.wallet));
    other[0] ^= 1;
    throwsNamed(() => wasm.verifyKeyPossession(other, hex(v.public), fresh), "InvalidKeyPossessionProof");
  }
  throwsNamed(() => wasm.UserKey.fromSecretBytes(new Uint8Array(31)), "InvalidLength");
  throwsNamed(() => wasm.UserKey.fromSecretBytes(new Uint8Array(32)), "InvalidScalar");
});

test("the wallet's key derives in wasm exactly as the native crate derives it", () => {
  const fixture = JSON.parse(readFileSync(join(here, "wallet-key.json"), "utf8"));
  for (const c of fixture.cases) {
    const message = wasm.userKeyMessage(c.domain, hex(c.wallet), hex(fixture.program_id), c.index);
    assert.equal(message.text, c.text);
    assert.equal(toHex(message.bytes), c.message);
    // Node's Ed25519 (the wallet's signer here) over the bytes the wasm module asks to sign
    const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(c.wallet_seed, "hex")]);
    const signature = sign(null, message.bytes, createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }));
    assert.equal(signature.toString("hex"), c.signature);
    const key = wasm.UserKey.fromWalletSignatures(signature, signature);
    assert.equal(toHex(key.publicKey()), c.public_key, `${c.domain} #${c.index}`);
    const other = Uint8Array.from(signature);
    other[63] ^= 1;
    throwsNamed(() => wasm.UserKey.fromWalletSignatures(signature, other), "NotDeterministic");
    // the signature is checked against the wallet before a key is derived from it
    assert.equal(wasm.verifyWalletSignature(hex(c.wallet), message.bytes, signature), undefined);
    throwsNamed(() => wasm.verifyWalletSignature(hex(c.wallet), message.bytes, other), "WalletRefused");
    throwsNamed(() => wasm.verifyWalletSignature(hex(c.wallet), message.bytes, new Uint8Array(64)), "WalletRefused");
    const otherMessage = Uint8Array.from(message.bytes);
    otherMessage[otherMessage.length - 1] ^= 1;
    throwsNamed(() => wasm.verifyWalletSignature(hex(c.wallet), otherMessage, signature), "WalletRefused");
  }
  throwsNamed(() => wasm.userKeyMessage("MedShare.app", new Uint8Array(32), new Uint8Array(32), 0), "InvalidDomain");
});

test("a record sealed in wasm, whole or chunk by chunk, opens for its owner and its cluster capsule proves its label", () => {
  const c = reencrypt.cases.find((c) => c.t === 2 && c.n === 3);
  // the published cluster key and owner key
  const clusterKey = hex(c.cluster_public_key);
  const owner = wasm.UserKey.fromSecretBytes(hex(c.owner_key.secret));
  const binding = bindingOf(c);
  const chunk = wasm.chunkLen();
  const plaintext = new Uint8Array(2 * chunk + 1000);
  for (let at = 0; at < plaintext.length; at += 65536) getRandomValues(plaintext.subarray(at, Math.min(at + 65536, plaintext.length)));

  const whole = wasm.sealRecord(binding, hex(c.cluster), clusterKey, owner.publicKey(), plaintext);
  assert.equal(BigInt(whole.ciphertext.length), wasm.ciphertextLen(BigInt(plaintext.length)));
  binding.verifyClusterCapsule(hex(c.cluster), clusterKey, whole.clusterCapsule, whole.capsuleProof);
  assert.deepEqual(wasm.openRecord(binding, wasm.openCapsule(owner, whole.ownerCapsule), whole.ciphertext), plaintext);

  const sealer = new wasm.RecordSealer(binding, hex(c.cluster), clusterKey, owner.publicKey());
  const parts = [sealer.header(), sealer.sealChunk(plaintext.subarray(0, chunk)), sealer.sealChunk(plaintext.subarray(chunk, 2 * chunk))];
  throwsNamed(() => sealer.sealChunk(plaintext.subarray(0, 10)), "InvalidLength");
  parts.push(sealer.sealLast(plaintext.subarray(2 * chunk)));
  throwsNamed(() => sealer.sealLast(new Uint8Array(0)), "StreamFinished");
  const streamed = concat(...parts);
  assert.notEqual(toHex(streamed.subarray(0, 64)), toHex(whole.ciphertext.subarray(0, 64)), "every seal draws a fresh key and nonce prefix");
  const key = wasm.openCapsule(owner, sealer.ownerCapsule);
  const opener = new wasm.RecordOpener(binding, key, streamed.subarray(0, wasm.headerLen()));
  const body = streamed.subarray(wasm.headerLen());
  const sealedChunk = wasm.sealedChunkLen();
  const opened = concat(opener.openChunk(body.subarray(0, sealedChunk)), opener.openChunk(body.subarray(sealedChunk, 2 * sealedChunk)), opener.openLast(body.subarray(2 * sealedChunk)));
  assert.deepEqual(opened, plaintext);

  // chunk 1 taken from the other sealing of the same plaintext is refused, by its index
  const wholeBody = whole.ciphertext.subarray(wasm.headerLen());
  const spliced = concat(streamed.subarray(0, wasm.headerLen() + sealedChunk), wholeBody.subarray(sealedChunk, 2 * sealedChunk), body.subarray(2 * sealedChunk));
  assert.throws(() => wasm.openRecord(binding, key, spliced), (error) => error.name === "StreamChunkInvalid" && /chunk 1\b/.test(error.message));
  const cut = streamed.subarray(0, wasm.headerLen() + 2 * sealedChunk);
  throwsNamed(() => wasm.openRecord(binding, key, cut), "StreamTruncated");
});
