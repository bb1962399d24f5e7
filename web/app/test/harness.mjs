// What the data layer's Node tests need around it: the TypeScript bundled for Node by esbuild,
// medshare-wasm's `pkg-node` build (the same Rust code as the browser's `pkg-web`), wallets
// from Solana keypair files that sign as a Wallet Standard wallet does, a content-addressed
// blob server, and the real `medshare` CLI.

import { execFile } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { createKeyPairFromBytes, getTransactionDecoder, getTransactionEncoder, partiallySignTransaction, signBytes } from '@solana/kit';

export const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.MEDSHARE_CACHE ?? join(homedir(), '.cache', 'medshare');

/** The data layer (src/chain/medshare.ts, plus the pieces the tests reach directly: the
 * transaction sender, to bypass the client-side checks and reach the program, the event and
 * error parsers and the account decoder), bundled for Node under node_modules/.cache. */
export async function loadDataLayer() {
  // under node_modules/.cache so that the bundle's bare imports (kit) resolve from the app
  const out = join(appDir, 'node_modules', '.cache', 'medshare-chain-test', `chain-${process.pid}.mjs`);
  await esbuild.build({
    stdin: {
      contents: [
        "export * from './src/chain/medshare.ts';",
        "export { sendInstructions } from './src/chain/transactions.ts';",
        "export { eventsFromLogs } from './src/chain/events.ts';",
        "export { programErrorFromLogs } from './src/chain/errors.ts';",
        "export { decodeChecked, RECORD } from './src/chain/accounts.ts';",
        "export { IDL_EVENTS, IDL_ERRORS } from './src/generated/idl-events.ts';",
        "export * as generated from './src/generated/index.ts';",
      ].join('\n'),
      resolveDir: appDir,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    // kit stays a runtime import from the app's node_modules
    packages: 'external',
    define: { 'process.env.NODE_ENV': '"test"' },
    logLevel: 'error',
  });
  try {
    return await import(pathToFileURL(out).href);
  } finally {
    rmSync(out, { force: true }); // loaded: the module lives on in memory
  }
}

/** medshare-wasm's Node build (`cargo xtask wasm` writes it). */
export function nodeCrypto() {
  const pkg = process.env.MEDSHARE_WASM_PKG_NODE ?? join(cache, 'target-wasm', 'pkg-node');
  return createRequire(import.meta.url)(join(pkg, 'medshare_wasm.js'));
}

/** The playground's description (`localnet.json`, written by `cargo xtask localnet`). */
export function localnet() {
  const path = process.env.MEDSHARE_LOCALNET_JSON;
  if (!path) throw new Error('set MEDSHARE_LOCALNET_JSON to the localnet.json a running `cargo xtask localnet` wrote');
  const description = JSON.parse(readFileSync(path, 'utf8'));
  return { ...description, path, wallet: (name) => description.wallets.find((wallet) => wallet.name === name) };
}

/** A WalletSigner over a Solana keypair file's 64 bytes, signing as a Wallet Standard wallet
 * does (`solana:signMessage`, `solana:signTransaction` of wire bytes); `calls` counts them. */
export async function keypairSigner(secretKey) {
  const bytes = Uint8Array.from(secretKey);
  const keyPair = await createKeyPairFromBytes(bytes);
  const { getAddressDecoder } = await import('@solana/kit');
  const address = getAddressDecoder().decode(bytes.subarray(32));
  const signer = {
    address,
    secretKey: bytes,
    calls: { signMessage: 0, signTransaction: 0 },
    async signMessage(message) {
      signer.calls.signMessage++;
      return new Uint8Array(await signBytes(keyPair.privateKey, message));
    },
    async signTransaction(wire) {
      signer.calls.signTransaction++;
      const signed = await partiallySignTransaction([keyPair], getTransactionDecoder().decode(wire));
      return new Uint8Array(getTransactionEncoder().encode(signed));
    },
  };
  return signer;
}

/** A new wallet: its keypair file (for the CLI) and its signer. */
export async function freshWallet(dir) {
  const pair = await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  const publicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', pair.publicKey));
  const secretKey = [...pkcs8.subarray(pkcs8.length - 32), ...publicKey];
  const signer = await keypairSigner(secretKey);
  const path = join(dir, `${signer.address}.json`);
  writeFileSync(path, JSON.stringify(secretKey));
  return { signer, path };
}

/** Sends `sol` from the `from` signer to `address` (a system transfer through the data
 * layer's own sender: the playground's validator has no faucet). */
export async function fund(chain, rpcUrl, from, address, sol) {
  const { AccountRole, createSolanaRpc } = await import('@solana/kit');
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setUint32(0, 2, true); // SystemInstruction::Transfer
  view.setBigUint64(4, BigInt(sol * 1e9), true);
  const transfer = {
    programAddress: '11111111111111111111111111111111',
    accounts: [
      { address: from.address, role: AccountRole.WRITABLE_SIGNER },
      { address, role: AccountRole.WRITABLE },
    ],
    data,
  };
  await chain.sendInstructions(createSolanaRpc(rpcUrl), from, [transfer], '11111111111111111111111111111111');
}

/** A content-addressed blob store as the contract specifies (`PUT /blobs/<sha256 hex>`, body
 * checked against the digest; `GET /blobs/<hex>`), for when no web server of the app runs. */
export async function blobServer() {
  const blobs = new Map();
  const server = createServer((request, response) => {
    const match = /^\/blobs\/([0-9a-f]{64})$/.exec(request.url ?? '');
    if (!match) return response.writeHead(404).end('no such path');
    if (request.method === 'GET') {
      const blob = blobs.get(match[1]);
      return blob ? response.writeHead(200, { 'content-length': blob.length }).end(blob) : response.writeHead(404).end('no such blob');
    }
    if (request.method !== 'PUT') return response.writeHead(405).end();
    const parts = [];
    request.on('data', (part) => parts.push(part));
    request.on('end', () => {
      const body = Buffer.concat(parts);
      if (createHash('sha256').update(body).digest('hex') !== match[1]) return response.writeHead(422).end('DigestMismatch: the body is not the named digest');
      const existed = blobs.has(match[1]);
      blobs.set(match[1], body);
      response.writeHead(existed ? 200 : 201).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/blobs/`, blobs, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Runs the real `medshare` CLI with `--output json`; resolves to its parsed output. It runs
 * asynchronously: the blob server answering the CLI lives in this process's event loop. */
export function medshareCli(args) {
  const binary = process.env.MEDSHARE_CLI ?? join(cache, 'target', 'debug', 'medshare');
  return new Promise((resolve, reject) => {
    execFile(binary, ['--output', 'json', ...args], { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`medshare ${args.join(' ')} failed (${error.code}): ${stderr}`));
      resolve(JSON.parse(stdout));
    });
  });
}
