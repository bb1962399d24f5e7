// (c) Program errors named by the Anchor TS client from a failed transaction's logs: the
// path `program.methods.….rpc()` takes on failure (`translateError` with the IDL's errors).
//
//   node name-errors.mjs <input.json>
//
// Input: { "idl": path, "failures": [{ "message": the error text, "logs": [...] }] }.
// Output: for each failure, what the client made of it: { kind: "AnchorError", code,
// number, message, program } or { kind: <constructor name> } when it could not name it.

import { readFileSync } from 'node:fs';
import anchor from '@coral-xyz/anchor';

const { AnchorError, parseIdlErrors, translateError } = anchor;

const inputPath = process.argv[2];
if (!inputPath) {
  console.error('usage: node name-errors.mjs <input.json>');
  process.exit(2);
}
const input = JSON.parse(readFileSync(inputPath, 'utf8'));
const idl = JSON.parse(readFileSync(input.idl, 'utf8'));
const idlErrors = parseIdlErrors(idl);

const named = input.failures.map(({ message, logs }) => {
  // What web3.js's SendTransactionError carries: the message and the logs.
  const sendError = Object.assign(new Error(message), { logs });
  const translated = translateError(sendError, idlErrors);
  if (translated instanceof AnchorError) {
    const { errorCode, errorMessage } = translated.error;
    return { kind: 'AnchorError', code: errorCode.code, number: errorCode.number, message: errorMessage, program: translated.program?.toBase58() ?? null };
  }
  return { kind: translated?.constructor?.name ?? typeof translated };
});

console.log(JSON.stringify(named));
