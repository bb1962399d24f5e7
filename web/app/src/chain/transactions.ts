// Sending the program's instructions from a browser wallet: a legacy transaction (the same
// wire format and size limit the CLI's instruction chunking was made for) signed by the
// wallet's `solana:signTransaction`, sent by the app itself with preflight, then polled to
// `confirmed`. Sending it ourselves is what lets a failure be named: the preflight simulation's
// logs carry the program's `AnchorError occurred. Error Code: <Name>` line.

import {
  appendTransactionMessageInstructions,
  compileTransaction,
  createTransactionMessage,
  getBase58Decoder,
  getBase64Decoder,
  getTransactionDecoder,
  getTransactionEncoder,
  isSolanaError,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
  type Address,
  type Instruction,
  type Rpc,
  type Signature,
  type SolanaRpcApi,
} from '@solana/kit';
import { equalBytes } from './bytes';
import { MedShareError, ProgramError, programErrorFromCode, programErrorFromLogs } from './errors';

/** A wallet as the data layer uses it (the UI builds one from a Wallet Standard account). */
export interface WalletSigner {
  /** The wallet's address (base58). */
  address: string;
  /** `solana:signMessage`: the 64-byte Ed25519 signature of `message`. */
  signMessage(message: Uint8Array): Promise<Uint8Array>;
  /** `solana:signTransaction`: the signed wire transaction. */
  signTransaction(wireTransaction: Uint8Array): Promise<Uint8Array>;
}

/** How long a sent transaction is polled before giving up (its blockhash expires earlier). */
const CONFIRM_TIMEOUT_MS = 90_000;
const POLL_MS = 400;

/** The wallet's promise, with a refusal (closed popup, user said no) as `WalletRefused`. */
export async function askWallet<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new MedShareError('WalletRefused', `the wallet did not ${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** The transaction error a status or preflight reports, as a ProgramError named by the IDL
 * when it is the program's custom error. */
function transactionError(err: unknown, logs: readonly string[], programId: string): Error {
  const named = programErrorFromLogs(logs, programId);
  if (named) return named;
  const instructionError = (err as { InstructionError?: [number, unknown] } | null)?.InstructionError;
  const custom = (instructionError?.[1] as { Custom?: number | bigint } | undefined)?.Custom;
  if (custom !== undefined) return programErrorFromCode(Number(custom), logs);
  return new MedShareError('TransactionFailed', `the transaction failed: ${JSON.stringify(err, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/** Signs `instructions` (paid by `signer`) with the wallet, sends them with preflight and waits
 * for `confirmed`. Returns the signature; throws `ProgramError` (named from the logs),
 * `WalletRefused`, `WalletChangedTransaction`, `TransactionExpired` or `RpcError`. */
export async function sendInstructions(rpc: Rpc<SolanaRpcApi>, signer: WalletSigner, instructions: readonly Instruction[], programId: string): Promise<string> {
  const { value: blockhash } = await rpcCall('getLatestBlockhash', () => rpc.getLatestBlockhash({ commitment: 'confirmed' }).send());
  const message = pipe(
    createTransactionMessage({ version: 'legacy' }),
    (m) => setTransactionMessageFeePayer(signer.address as Address, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const compiled = compileTransaction(message);
  const wire = new Uint8Array(getTransactionEncoder().encode(compiled));
  const signedWire = await askWallet('sign the transaction', () => signer.signTransaction(wire));
  let signed;
  try {
    signed = getTransactionDecoder().decode(signedWire);
  } catch (error) {
    throw new MedShareError('WalletChangedTransaction', `the wallet returned bytes that are not a transaction: ${(error as Error).message}`);
  }
  // what the wallet signed must be what was built: a changed message would do something else
  if (!equalBytes(new Uint8Array(signed.messageBytes), new Uint8Array(compiled.messageBytes))) {
    throw new MedShareError('WalletChangedTransaction', 'the wallet signed a different transaction than the one the app built: not sent');
  }
  const feePayerSignature = signed.signatures[signer.address as Address];
  if (!feePayerSignature || feePayerSignature.every((byte) => byte === 0)) {
    throw new MedShareError('WalletRefused', `the wallet returned the transaction without ${signer.address}'s signature`);
  }
  const signature = getBase58Decoder().decode(feePayerSignature) as Signature;
  const base64 = getBase64Decoder().decode(signedWire) as Parameters<SolanaRpcApi['sendTransaction']>[0];
  try {
    await rpc.sendTransaction(base64, { encoding: 'base64', preflightCommitment: 'confirmed' }).send();
  } catch (error) {
    if (isSolanaError(error, SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE)) {
      const logs = error.context.logs ?? [];
      const named = programErrorFromLogs(logs, programId);
      if (named) throw named;
      if (isSolanaError(error.cause, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) throw programErrorFromCode(Number(error.cause.context.code), logs);
      throw new MedShareError('TransactionFailed', `the transaction failed in simulation: ${(error.cause as Error | undefined)?.message ?? error.message}`, { cause: error });
    }
    throw rpcError('sendTransaction', error);
  }
  await confirm(rpc, signature, blockhash.lastValidBlockHeight, programId);
  return signature;
}

/** Polls the signature's status until `confirmed`, an error, or its blockhash expiring. */
async function confirm(rpc: Rpc<SolanaRpcApi>, signature: Signature, lastValidBlockHeight: bigint, programId: string): Promise<void> {
  const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { value } = await rpcCall('getSignatureStatuses', () => rpc.getSignatureStatuses([signature]).send());
    const status = value[0];
    if (status?.err) {
      const transaction = await rpc.getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0, encoding: 'json' }).send().catch(() => null);
      throw transactionError(status.err, transaction?.meta?.logMessages ?? [], programId);
    }
    if (status && (status.confirmationStatus === 'confirmed' || status.confirmationStatus === 'finalized')) return;
    if (!status) {
      const height = await rpcCall('getBlockHeight', () => rpc.getBlockHeight({ commitment: 'confirmed' }).send());
      if (height > lastValidBlockHeight) {
        throw new MedShareError('TransactionExpired', `transaction ${signature} was not confirmed before its blockhash expired: nothing was changed, try again`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new MedShareError('TransactionExpired', `transaction ${signature} was not confirmed within ${CONFIRM_TIMEOUT_MS / 1000} s`);
}

/** An RPC failure as `RpcError` naming the method. */
export function rpcError(method: string, error: unknown): Error {
  if (error instanceof MedShareError || error instanceof ProgramError) return error;
  return new MedShareError('RpcError', `the RPC node failed ${method}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** Runs one RPC call, its failure named. */
export async function rpcCall<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw rpcError(method, error);
  }
}
