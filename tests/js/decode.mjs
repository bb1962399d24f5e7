// (b) Accounts and events decoded by the Anchor TS client, as a dapp would: a `Program`
// made from the IDL, its account coder, and its `EventParser` over a transaction's logs.
//
//   node decode.mjs <input.json>
//
// Input (written by tests/tests/idl_third_party.rs):
//   { "idl": path, "accounts": [{ "name": "Cluster", "data": [bytes] }],
//     "events": [[discriminator ‖ body bytes], …], "logs": [["Program … invoke [1]", …], …] }
// Output, as JSON, every value normalised so that Rust can compare it: u64/i64 (BN) as
// decimal strings, public keys in base58, byte arrays as arrays of numbers; names as the
// Anchor TS client gives them (camelCase).

import { readFileSync } from 'node:fs';
import anchor from '@coral-xyz/anchor';

const { BN, BorshCoder, EventParser, Program, web3 } = anchor;

const inputPath = process.argv[2];
if (!inputPath) {
  console.error('usage: node decode.mjs <input.json>');
  process.exit(2);
}
const input = JSON.parse(readFileSync(inputPath, 'utf8'));
const idl = JSON.parse(readFileSync(input.idl, 'utf8'));
// No request is ever sent: the connection only satisfies the provider.
const program = new Program(idl, { connection: new web3.Connection('http://127.0.0.1:9') });

function plain(value) {
  if (BN.isBN(value)) return value.toString(10);
  if (value instanceof web3.PublicKey) return value.toBase58();
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, plain(v)]));
  return value;
}

const accounts = input.accounts.map(({ name, data }) => {
  const accountName = name.charAt(0).toLowerCase() + name.slice(1);
  const bytes = Buffer.from(data);
  return { name: accountName, idlSize: program.coder.accounts.size(accountName), decoded: plain(program.coder.accounts.decode(accountName, bytes)) };
});

const events = input.events.map((bytes) => {
  // as it appears in a `Program data:` log line
  const base64 = Buffer.from(bytes).toString('base64');
  const event = program.coder.events.decode(base64);
  if (!event) throw new Error(`the Anchor client does not recognise the event ${base64}`);
  return { name: event.name, decoded: plain(event.data) };
});

const parser = new EventParser(program.programId, new BorshCoder(program.idl));
const parsedLogs = input.logs.map((logs) => Array.from(parser.parseLogs(logs), (event) => ({ name: event.name, decoded: plain(event.data) })));

console.log(JSON.stringify({ accounts, events, parsedLogs }));
