// `node test/sign-with-wallet.mjs <input.json>`: connects the test wallet over the input's
// keypair and signs each of its wire transactions (base64) with `solana:signTransaction`;
// prints `{ "address": ..., "signed": [base64...] }`. tests/tests/web_e2e.rs gives it
// transactions built and signed by the Solana Rust crates and compares the bytes.

import { readFileSync } from 'node:fs';
import { loadTestWallet } from './load-wallet.mjs';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { wallet } = loadTestWallet({ secretKey: input.secretKey });
const { accounts } = await wallet.features['standard:connect'].connect();
const signed = [];
for (const transaction of input.transactions) {
    const [output] = await wallet.features['solana:signTransaction'].signTransaction({
        account: accounts[0],
        transaction: new Uint8Array(Buffer.from(transaction, 'base64')),
        chain: 'solana:localnet',
    });
    signed.push(Buffer.from(output.signedTransaction).toString('base64'));
}
process.stdout.write(JSON.stringify({ address: accounts[0].address, signed }));
