// Unit tests of the test wallet (src/test-wallet.js): the Wallet Standard registration, its
// address, its message signatures against RFC 8032's vector and node:crypto, and where it puts
// its signature in legacy and v0 wire transactions. `node --test test/` (web/e2e), run by
// tests/tests/web_e2e.rs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { keypairFromSeed, loadTestWallet } from './load-wallet.mjs';

// RFC 8032, section 7.1, TEST 1: the seed, its public key (base58 computed independently) and
// the signature of the empty message.
const RFC8032_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const RFC8032_ADDRESS = 'FVen3X669xLzsi6N2V91DoiyzHzg1uAgqiT8jZ9nS96Z';
const RFC8032_EMPTY_SIGNATURE =
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

async function connectedWallet(seed = RFC8032_SEED) {
    const keypair = await keypairFromSeed(seed);
    const { wallet, window } = loadTestWallet({ secretKey: keypair.secretKey });
    const { accounts } = await wallet.features['standard:connect'].connect();
    return { wallet, window, keypair, account: accounts[0] };
}

function shortVec(n) {
    const out = [];
    for (;;) {
        const byte = n & 0x7f;
        n >>= 7;
        if (n === 0) return [...out, byte];
        out.push(byte | 0x80);
    }
}

/** A message in Solana's wire format: `[version prefix] header keys blockhash instructions [lookups]`. */
function message({ v0 = false, required, readonlySigned = 0, readonlyUnsigned = 1, keys }) {
    const blockhash = Array.from({ length: 32 }, (_, i) => 200 - i);
    const instruction = [keys.length - 1, ...shortVec(2), 0, 1, ...shortVec(3), 7, 8, 9];
    return Uint8Array.from([
        ...(v0 ? [0x80] : []),
        required,
        readonlySigned,
        readonlyUnsigned,
        ...shortVec(keys.length),
        ...keys.flatMap((key) => [...key]),
        ...blockhash,
        ...shortVec(1),
        ...instruction,
        ...(v0 ? shortVec(0) : []),
    ]);
}

/** A wire transaction with `signatures` 64-byte slots (zeros unless given) and `msg`. */
function wire(msg, signatures) {
    const slots = signatures.map((s) => s ?? new Uint8Array(64));
    return Uint8Array.from([...shortVec(slots.length), ...slots.flatMap((s) => [...s]), ...msg]);
}

const OTHER_SIGNER = new Uint8Array(32).fill(0x11);
const PROGRAM = new Uint8Array(32).fill(0x22);

test('registers through both halves of the Wallet Standard event protocol', async () => {
    const keypair = await keypairFromSeed(RFC8032_SEED);
    const { window, registered } = loadTestWallet({ secretKey: keypair.secretKey });
    assert.equal(registered.length, 1, 'announced by a register-wallet event as the script ran');
    const wallet = registered[0];
    assert.equal(wallet.name, 'MedShare Test Wallet');
    assert.equal(wallet.version, '1.0.0');
    assert.match(wallet.icon, /^data:image\/svg\+xml;base64,/);
    assert.deepEqual([...wallet.chains], ['solana:localnet']);
    for (const feature of ['standard:connect', 'standard:disconnect', 'standard:events', 'solana:signMessage', 'solana:signTransaction']) {
        assert.ok(wallet.features[feature], `${feature} is offered`);
    }
    assert.equal(wallet.features['solana:signMessage'].version, '1.1.0');
    assert.deepEqual([...wallet.features['solana:signTransaction'].supportedTransactionVersions], ['legacy', 0]);
    // an app that loads after the wallet announces itself; the wallet registers with it too
    const late = [];
    window.dispatchEvent(new CustomEvent('wallet-standard:app-ready', { detail: { register: (w) => late.push(w) } }));
    assert.deepEqual(late, [wallet]);
});

test('no wallet is registered without a configuration', () => {
    const { registered } = loadTestWallet(undefined);
    assert.equal(registered.length, 0);
});

test('connect shows the keypair\'s address; silent connect needs a prior approval; events follow', async () => {
    const keypair = await keypairFromSeed(RFC8032_SEED);
    const { wallet } = loadTestWallet({ secretKey: keypair.secretKey });
    const changes = [];
    const off = wallet.features['standard:events'].on('change', ({ accounts }) => changes.push(accounts.map((a) => a.address)));
    assert.deepEqual(wallet.accounts, []);
    assert.deepEqual((await wallet.features['standard:connect'].connect({ silent: true })).accounts, [], 'no silent approval');
    const { accounts } = await wallet.features['standard:connect'].connect();
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0].address, RFC8032_ADDRESS);
    assert.deepEqual([...accounts[0].publicKey], [...keypair.publicKey]);
    assert.deepEqual([...accounts[0].chains], ['solana:localnet']);
    assert.deepEqual([...accounts[0].features], ['solana:signMessage', 'solana:signTransaction']);
    assert.equal((await wallet.features['standard:connect'].connect({ silent: true })).accounts[0].address, RFC8032_ADDRESS, 'approved: silent works');
    await wallet.features['standard:disconnect'].disconnect();
    assert.deepEqual(wallet.accounts, []);
    off();
    await wallet.features['standard:connect'].connect();
    assert.deepEqual(changes, [[RFC8032_ADDRESS], []], 'one change per connect and disconnect until the listener is removed');
});

test('signMessage gives RFC 8032\'s signature and node:crypto\'s for any message', async () => {
    const { wallet, account, keypair, window } = await connectedWallet();
    const [empty] = await wallet.features['solana:signMessage'].signMessage({ account, message: new Uint8Array() });
    assert.equal(Buffer.from(empty.signature).toString('hex'), RFC8032_EMPTY_SIGNATURE);
    assert.equal(empty.signatureType, 'ed25519');
    const text = new TextEncoder().encode('medshare user key v1 localhost:8080');
    const outputs = await wallet.features['solana:signMessage'].signMessage({ account, message: text }, { account, message: text.subarray(1) });
    assert.equal(outputs.length, 2);
    assert.deepEqual([...outputs[0].signedMessage], [...text]);
    assert.deepEqual(Buffer.from(outputs[0].signature), nodeSign(null, text, keypair.privateKey));
    assert.deepEqual(Buffer.from(outputs[1].signature), nodeSign(null, text.subarray(1), keypair.privateKey));
    assert.deepEqual(
        window.__medshareTestWalletLog.filter((e) => e.feature === 'solana:signMessage').map((e) => e.length),
        [0, text.length, text.length - 1],
        'every signature is logged for the end-to-end tests',
    );
});

test('signs a legacy transaction at its own signer index and leaves the rest untouched', async () => {
    const { wallet, account, keypair } = await connectedWallet();
    const msg = message({ required: 2, keys: [OTHER_SIGNER, keypair.publicKey, PROGRAM] });
    const otherSignature = new Uint8Array(64).fill(0x5a);
    const unsigned = wire(msg, [otherSignature, null]);
    const [{ signedTransaction }] = await wallet.features['solana:signTransaction'].signTransaction({ account, transaction: unsigned, chain: 'solana:localnet' });
    assert.equal(signedTransaction.length, unsigned.length);
    assert.deepEqual([...signedTransaction.subarray(1, 65)], [...otherSignature], 'the fee payer\'s slot is kept');
    const signature = signedTransaction.subarray(65, 129);
    assert.ok(nodeVerify(null, msg, keypair.privateKey, signature), 'a valid Ed25519 signature of the message bytes');
    assert.deepEqual(Buffer.from(signature), nodeSign(null, msg, keypair.privateKey));
    assert.deepEqual([...signedTransaction.subarray(129)], [...msg], 'the message is unchanged');
    assert.deepEqual([...unsigned.subarray(65, 129)], new Array(64).fill(0), 'the input is not modified');
});

test('signs a v0 transaction (version prefix) as the fee payer', async () => {
    const { wallet, account, keypair, window } = await connectedWallet();
    const msg = message({ v0: true, required: 2, keys: [keypair.publicKey, OTHER_SIGNER, PROGRAM] });
    const [{ signedTransaction }] = await wallet.features['solana:signTransaction'].signTransaction({ account, transaction: wire(msg, [null, null]) });
    assert.ok(nodeVerify(null, msg, keypair.privateKey, signedTransaction.subarray(1, 65)), 'the v0 message, prefix included, is what is signed');
    assert.deepEqual([...signedTransaction.subarray(65, 129)], new Array(64).fill(0));
    assert.deepEqual(window.__medshareTestWalletLog.at(-1), { feature: 'solana:signTransaction', version: 0, signerIndex: 0 });
});

test('refuses by name what it must not sign', async () => {
    const { wallet, account, keypair } = await connectedWallet();
    const signTransaction = (transaction, extra = {}) => wallet.features['solana:signTransaction'].signTransaction({ account, transaction, ...extra });
    // in the account keys, but as a read-only non-signer
    const notSigner = wire(message({ required: 1, keys: [OTHER_SIGNER, keypair.publicKey, PROGRAM] }), [null]);
    await assert.rejects(signTransaction(notSigner), { name: 'NotASigner' });
    const full = wire(message({ required: 1, keys: [keypair.publicKey, PROGRAM] }), [null]);
    for (const cut of [0, 1, 40, 70, 100]) {
        await assert.rejects(signTransaction(full.subarray(0, cut)), { name: 'MalformedTransaction' }, `cut at ${cut}`);
    }
    const tooFewSlots = wire(message({ required: 2, keys: [keypair.publicKey, OTHER_SIGNER, PROGRAM] }), [null]);
    await assert.rejects(signTransaction(tooFewSlots), { name: 'MalformedTransaction' });
    const v1 = full.slice();
    v1.set([0x81], 65);
    await assert.rejects(signTransaction(v1), { name: 'UnsupportedTransactionVersion' });
    await assert.rejects(signTransaction(full, { chain: 'solana:mainnet' }), { name: 'UnsupportedChain' });
    await assert.rejects(signTransaction('not bytes'), { name: 'InvalidInput' });
    const stranger = { ...account, address: '11111111111111111111111111111112' };
    await assert.rejects(wallet.features['solana:signMessage'].signMessage({ account: stranger, message: new Uint8Array(1) }), { name: 'UnknownAccount' });
    await wallet.features['standard:disconnect'].disconnect();
    await assert.rejects(signTransaction(full), { name: 'NotConnected' });
});

test('a keypair whose halves disagree signs nothing', async () => {
    const keypair = await keypairFromSeed(RFC8032_SEED);
    const forged = [...keypair.secretKey.slice(0, 32), ...new Uint8Array(32).fill(3)];
    const { wallet } = loadTestWallet({ secretKey: forged });
    const { accounts } = await wallet.features['standard:connect'].connect();
    await assert.rejects(wallet.features['solana:signMessage'].signMessage({ account: accounts[0], message: new Uint8Array(1) }), { name: 'InvalidKeypair' });
    assert.throws(() => loadTestWallet({ secretKey: [1, 2, 3] }), { name: 'InvalidKeypair' });
});
