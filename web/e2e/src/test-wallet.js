// The MedShare test wallet: a real Wallet Standard wallet over a Solana keypair, for the
// end-to-end tests in headless Chromium (web/e2e/run.mjs injects it with
// `context.addInitScript` before any page script runs).
//
// Configuration, read when the script runs:
//   window.__medshareTestWallet = { secretKey: [64 numbers] (a Solana keypair file),
//                                   name?: string, chains?: string[] }
//
// It registers itself with the `wallet-standard:register-wallet` / `wallet-standard:app-ready`
// event protocol exactly as `@wallet-standard/wallet`'s `registerWallet` does, so an app using
// `@wallet-standard/app`'s `getWallets()` finds it whether it loads before or after the app.
// Features: `standard:connect`, `standard:disconnect`, `standard:events`,
// `solana:signMessage` (1.1.0) and `solana:signTransaction` (1.0.0, legacy and v0 wire
// transactions). Ed25519 is WebCrypto's (Chromium and Node both have it), so no secret leaves
// `crypto.subtle` once imported.
//
// Plain JavaScript with no imports: the same file is injected into the browser and run by the
// Node unit tests (web/e2e/test/test-wallet.test.mjs) inside a `vm` context whose `window` is
// an `EventTarget`. Every call is appended to `window.__medshareTestWalletLog` so that a test
// can tell what the app asked the wallet to do (e.g. that a refused share signed nothing).
(function installMedshareTestWallet(global) {
    'use strict';

    const WALLET_NAME = 'MedShare Test Wallet';
    const DEFAULT_CHAINS = ['solana:localnet'];
    const FEATURES = ['standard:connect', 'standard:disconnect', 'standard:events', 'solana:signMessage', 'solana:signTransaction'];
    // The account-level features (what an app may ask of this account).
    const ACCOUNT_FEATURES = ['solana:signMessage', 'solana:signTransaction'];
    const ICON =
        'data:image/svg+xml;base64,' +
        'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAzMiAzMiI+PHJlY3Qgd2lkdGg9IjMyIiBoZWlnaHQ9IjMyIiByeD0iNiIgZmlsbD0iIzBiNjNjZSIvPjxwYXRoIGQ9Ik0xNCA3aDR2N2g3djRoLTd2N2gtNHYtN0g3di00aDd6IiBmaWxsPSIjZmZmIi8+PC9zdmc+';

    // PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): the only private-key format
    // WebCrypto imports for Ed25519 besides JWK.
    const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

    const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

    /** A named error, as a real wallet's: `name` says which refusal it is. */
    function walletError(name, message) {
        const error = new Error(`${name}: ${message}`);
        error.name = name;
        return error;
    }

    /** Base58 (Bitcoin alphabet), as Solana addresses are written. */
    function base58Encode(bytes) {
        const digits = []; // little-endian base-58 digits of the big-endian number `bytes`
        for (const byte of bytes) {
            let carry = byte;
            for (let i = 0; i < digits.length; i++) {
                carry += digits[i] * 256;
                digits[i] = carry % 58;
                carry = Math.floor(carry / 58);
            }
            while (carry > 0) {
                digits.push(carry % 58);
                carry = Math.floor(carry / 58);
            }
        }
        let out = '';
        for (let i = 0; i < bytes.length && bytes[i] === 0; i++) out += '1'; // each leading zero byte is a '1'
        for (let i = digits.length - 1; i >= 0; i--) out += BASE58_ALPHABET[digits[i]];
        return out;
    }

    /** Solana's compact-u16 ("shortvec") at `offset`: `[value, bytes read]`. */
    function readShortVec(bytes, offset) {
        let value = 0;
        for (let i = 0; i < 3; i++) {
            if (offset + i >= bytes.length) throw walletError('MalformedTransaction', 'the transaction ends inside a length prefix');
            const byte = bytes[offset + i];
            value |= (byte & 0x7f) << (7 * i);
            if ((byte & 0x80) === 0) return [value, i + 1];
        }
        throw walletError('MalformedTransaction', 'a length prefix is longer than 3 bytes');
    }

    /**
     * Where the parts of a wire transaction are: the signatures (count and offset), the
     * message (offset: everything after the signatures is what is signed), its version
     * ('legacy' or 0), how many signatures it requires and its static account keys (the
     * signers come first, in signature order).
     */
    function parseWireTransaction(bytes) {
        const [signatureCount, prefix] = readShortVec(bytes, 0);
        const signaturesOffset = prefix;
        const messageOffset = signaturesOffset + 64 * signatureCount;
        if (messageOffset >= bytes.length) throw walletError('MalformedTransaction', `the transaction ends inside its ${signatureCount} signatures`);
        let cursor = messageOffset;
        let version = 'legacy';
        if (bytes[cursor] & 0x80) {
            version = bytes[cursor] & 0x7f;
            if (version !== 0) throw walletError('UnsupportedTransactionVersion', `transaction version ${version} (supported: legacy, 0)`);
            cursor += 1;
        }
        if (cursor + 3 > bytes.length) throw walletError('MalformedTransaction', 'the message ends inside its header');
        const requiredSignatures = bytes[cursor];
        cursor += 3;
        const [keyCount, keyPrefix] = readShortVec(bytes, cursor);
        cursor += keyPrefix;
        if (cursor + 32 * keyCount > bytes.length) throw walletError('MalformedTransaction', `the message ends inside its ${keyCount} account keys`);
        const accountKeys = [];
        for (let i = 0; i < keyCount; i++) accountKeys.push(bytes.subarray(cursor + 32 * i, cursor + 32 * (i + 1)));
        if (requiredSignatures !== signatureCount) {
            throw walletError('MalformedTransaction', `the message requires ${requiredSignatures} signatures but the transaction has room for ${signatureCount}`);
        }
        if (requiredSignatures > keyCount) throw walletError('MalformedTransaction', `${requiredSignatures} signers but only ${keyCount} account keys`);
        return { signatureCount, signaturesOffset, messageOffset, version, requiredSignatures, accountKeys };
    }

    function equalBytes(a, b) {
        if (a.length !== b.length) return false;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
        return true;
    }

    function toBytes(value, what) {
        if (value instanceof Uint8Array) return value;
        if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        throw walletError('InvalidInput', `${what} must be a Uint8Array`);
    }

    /** The `WindowRegisterWalletEvent` of `@wallet-standard/wallet`: its detail is the callback. */
    class RegisterWalletEvent extends Event {
        #detail;
        get detail() {
            return this.#detail;
        }
        get type() {
            return 'wallet-standard:register-wallet';
        }
        constructor(callback) {
            super('wallet-standard:register-wallet', { bubbles: false, cancelable: false, composed: false });
            this.#detail = callback;
        }
        preventDefault() {
            throw new Error('preventDefault cannot be called');
        }
        stopImmediatePropagation() {
            throw new Error('stopImmediatePropagation cannot be called');
        }
        stopPropagation() {
            throw new Error('stopPropagation cannot be called');
        }
    }

    /** `registerWallet` of `@wallet-standard/wallet`: announce now, and again to an app that says it is ready. */
    function registerWallet(wallet) {
        const callback = ({ register }) => register(wallet);
        try {
            global.dispatchEvent(new RegisterWalletEvent(callback));
        } catch (error) {
            console.error('wallet-standard:register-wallet event could not be dispatched\n', error);
        }
        try {
            global.addEventListener('wallet-standard:app-ready', ({ detail: api }) => callback(api));
        } catch (error) {
            console.error('wallet-standard:app-ready event listener could not be added\n', error);
        }
    }

    /** The wallet over `config.secretKey`; its key is imported into WebCrypto once, lazily checked. */
    function createTestWallet(config) {
        const subtle = global.crypto && global.crypto.subtle;
        if (!subtle) throw walletError('NoWebCrypto', 'crypto.subtle is not available (a secure context is needed)');
        const secret = Uint8Array.from(config.secretKey || []);
        if (secret.length !== 64) throw walletError('InvalidKeypair', `a Solana keypair has 64 bytes, got ${secret.length}`);
        const seed = secret.slice(0, 32);
        const publicKey = secret.slice(32, 64);
        const address = base58Encode(publicKey);
        const chains = Object.freeze([...(config.chains || DEFAULT_CHAINS)]);
        const name = config.name || WALLET_NAME;
        const log = (global.__medshareTestWalletLog = global.__medshareTestWalletLog || []);

        // Import the seed, then check that it is the keypair's: a keypair file whose two halves
        // disagree would sign for another address than the one it shows.
        const privateKey = (async () => {
            const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
            pkcs8.set(PKCS8_ED25519_PREFIX);
            pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
            const key = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
            const jwk = await subtle.exportKey('jwk', key);
            const derived = Uint8Array.from(atob(jwk.x.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
            if (!equalBytes(derived, publicKey)) throw walletError('InvalidKeypair', 'the keypair\'s public half is not the public key of its secret half');
            return key;
        })();
        // Keep an unobserved failure from being reported before the first signature asks for it.
        privateKey.catch(() => {});

        async function sign(bytes) {
            return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, await privateKey, bytes));
        }

        const account = Object.freeze({ address, publicKey: publicKey.slice(), chains, features: Object.freeze([...ACCOUNT_FEATURES]), label: name });
        let connected = false;
        const listeners = new Set();
        function emitChange() {
            const accounts = connected ? [account] : [];
            for (const listener of [...listeners]) listener({ accounts });
        }

        function checkAccount(input) {
            if (!input || !input.account || input.account.address !== address) {
                throw walletError('UnknownAccount', `this wallet signs only for ${address}`);
            }
            if (!connected) throw walletError('NotConnected', 'connect the wallet first');
        }

        const wallet = {
            version: '1.0.0',
            name,
            icon: ICON,
            chains,
            get accounts() {
                return connected ? [account] : [];
            },
            features: {
                'standard:connect': {
                    version: '1.0.0',
                    async connect(input) {
                        log.push({ feature: 'standard:connect', silent: Boolean(input && input.silent) });
                        // A silent connect (an app restoring a session) succeeds only for an app
                        // the user already approved, as with a real wallet.
                        if (!(input && input.silent) && !connected) {
                            connected = true;
                            emitChange();
                        }
                        return { accounts: connected ? [account] : [] };
                    },
                },
                'standard:disconnect': {
                    version: '1.0.0',
                    async disconnect() {
                        log.push({ feature: 'standard:disconnect' });
                        if (connected) {
                            connected = false;
                            emitChange();
                        }
                    },
                },
                'standard:events': {
                    version: '1.0.0',
                    on(event, listener) {
                        if (event !== 'change') return () => {};
                        listeners.add(listener);
                        return () => listeners.delete(listener);
                    },
                },
                'solana:signMessage': {
                    version: '1.1.0',
                    async signMessage(...inputs) {
                        const outputs = [];
                        for (const input of inputs) {
                            checkAccount(input);
                            const message = toBytes(input.message, 'message');
                            log.push({ feature: 'solana:signMessage', length: message.length });
                            outputs.push({ signedMessage: message, signature: await sign(message), signatureType: 'ed25519' });
                        }
                        return outputs;
                    },
                },
                'solana:signTransaction': {
                    version: '1.0.0',
                    supportedTransactionVersions: Object.freeze(['legacy', 0]),
                    async signTransaction(...inputs) {
                        const outputs = [];
                        for (const input of inputs) {
                            checkAccount(input);
                            if (input.chain !== undefined && !chains.includes(input.chain)) {
                                throw walletError('UnsupportedChain', `${input.chain} (this wallet: ${chains.join(', ')})`);
                            }
                            const transaction = toBytes(input.transaction, 'transaction');
                            const parsed = parseWireTransaction(transaction);
                            const index = parsed.accountKeys.slice(0, parsed.requiredSignatures).findIndex((key) => equalBytes(key, publicKey));
                            if (index < 0) throw walletError('NotASigner', `${address} is not among the transaction's signers`);
                            const signature = await sign(transaction.subarray(parsed.messageOffset));
                            const signed = transaction.slice();
                            signed.set(signature, parsed.signaturesOffset + 64 * index);
                            log.push({ feature: 'solana:signTransaction', version: parsed.version, signerIndex: index });
                            outputs.push({ signedTransaction: signed });
                        }
                        return outputs;
                    },
                },
            },
        };
        return wallet;
    }

    const config = global.__medshareTestWallet;
    if (config) registerWallet(createTestWallet(config));
})(typeof window !== 'undefined' ? window : globalThis);
