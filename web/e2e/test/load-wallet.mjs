// Runs src/test-wallet.js as the browser does (a classic script reading
// `window.__medshareTestWallet`), with an `EventTarget` standing in for `window` and Node's
// WebCrypto, and returns the wallet it registered through the Wallet Standard event protocol.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WALLET_SCRIPT = fileURLToPath(new URL('../src/test-wallet.js', import.meta.url));

/** A fresh `window` with `config` set, the script run in it, and every wallet it registered. */
export function loadTestWallet(config) {
    const window = new EventTarget();
    window.crypto = globalThis.crypto;
    window.__medshareTestWallet = config;
    const registered = [];
    // What `@wallet-standard/app` does when it loads after the wallet: listen for the
    // register-wallet event and call its detail with the app's `register`.
    window.addEventListener('wallet-standard:register-wallet', (event) => event.detail({ register: (wallet) => registered.push(wallet) }));
    new Function('window', readFileSync(WALLET_SCRIPT, 'utf8'))(window);
    return { window, registered, wallet: registered[0] };
}

/** A Solana keypair file's 64 numbers (seed, then public key) for a 32-byte seed, by node:crypto. */
export async function keypairFromSeed(seed) {
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]);
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
    return { secretKey: [...seed, ...publicKey], privateKey, publicKey: new Uint8Array(publicKey) };
}
