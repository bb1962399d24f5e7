// The two kinds of failure the data layer reports: the program's own errors, named from the
// transaction's logs (or the IDL, for a bare `custom program error`), and the client's
// refusals before anything is sent, each with a `kind` the UI shows first.

import { IDL_ERRORS } from '../generated/idl-events';

/** A refusal or failure on the client's side, named by `kind` ('NotAnAddress',
 * 'RecipientNotRegistered', 'NotFhir', 'TooLargeForInline', 'WalletRefused',
 * 'DifferentSignatures', 'DecryptionFailed', ...); `message` says what and why. */
export class MedShareError extends Error {
  /** The refusal's name, shown before the message (`NotFhir: Bundle.entry[2]: ...`). */
  readonly kind: string;

  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = kind;
    this.kind = kind;
  }
}

/** An error the program returned: its IDL name, number and message (the message is the
 * program's own). `logs` are the transaction's log lines, for whoever wants the detail. */
export class ProgramError extends Error {
  /** The error's name in the IDL (`RecipientNotRegistered`) or Anchor's (`ConstraintSeeds`). */
  readonly errorName: string;
  /** The error number (6000 and up for the program's own). */
  readonly code: number;
  /** The log lines of the failed transaction (simulation or execution). */
  readonly logs: readonly string[];

  constructor(errorName: string, code: number, message: string, logs: readonly string[] = []) {
    super(message);
    this.name = errorName;
    this.errorName = errorName;
    this.code = code;
    this.logs = logs;
  }
}

/** `Program log: AnchorError occurred. Error Code: X. Error Number: N. Error Message: M.` (or
 * `AnchorError thrown in <file>:<line>. ...` / `AnchorError caused by account: <a>. ...`). */
const ANCHOR_ERROR = /^Program log: AnchorError\b.*?Error Code: (\w+)\. Error Number: (\d+)\. Error Message: (.*?)\.?$/;
/** The runtime's line for a failed invocation with a custom error code. */
const CUSTOM_ERROR = /^Program (\w+) failed: custom program error: 0x([0-9a-fA-F]+)$/;

/** The program error that `logs` report, if any: the AnchorError line's name and message, or
 * for a bare `custom program error: 0x..` of `programId` the IDL's name and message. */
export function programErrorFromLogs(logs: readonly string[], programId: string): ProgramError | undefined {
  for (const line of logs) {
    const anchor = ANCHOR_ERROR.exec(line);
    if (anchor) return new ProgramError(anchor[1], Number(anchor[2]), anchor[3], logs);
  }
  for (const line of logs) {
    const custom = CUSTOM_ERROR.exec(line);
    if (custom && custom[1] === programId) return programErrorFromCode(Number.parseInt(custom[2], 16), logs);
  }
  return undefined;
}

/** The program error numbered `code`, named by the IDL (or `CustomError<code>` if the IDL does
 * not know it: a newer program than this app). */
export function programErrorFromCode(code: number, logs: readonly string[] = []): ProgramError {
  const known = IDL_ERRORS.find((error) => error.code === code);
  return known
    ? new ProgramError(known.name, code, known.message, logs)
    : new ProgramError(`CustomError${code}`, code, `the program returned error ${code}, which this app's IDL does not name`, logs);
}

/** The error a wasm call threw (a JavaScript `Error` named after the crate's variant:
 * `DecryptionFailed`, `InvalidCapsuleProof`, ...) as a MedShareError of that kind. */
export function cryptoError(error: unknown, context: string): MedShareError {
  if (error instanceof MedShareError) return error;
  if (error instanceof Error) return new MedShareError(error.name && error.name !== 'Error' ? error.name : 'CryptoError', `${context}: ${error.message}`, { cause: error });
  return new MedShareError('CryptoError', `${context}: ${String(error)}`, { cause: error });
}
