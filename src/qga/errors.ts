/** The error classes qemu-ga sends. */
export type ErrorClass = 'GenericError' | 'CommandNotFound';

/** What went wrong, for code that reacts to errors (the wire only carries class and description). */
export enum QgaErrorCode {
  /** The input is not JSON (lexical or syntax error). */
  JsonSyntax = 'json-syntax',
  /** A parser limit: token size, token count or nesting depth. */
  JsonLimit = 'json-limit',
  /** The request is not an object, or its members are wrong. */
  BadRequest = 'bad-request',
  /** No command of that name. */
  CommandNotFound = 'command-not-found',
  /** The command exists but is disabled (actions.d, or the frozen state). */
  CommandDisabled = 'command-disabled',
  /** A mandatory argument is missing. */
  MissingParameter = 'missing-parameter',
  /** An argument has the wrong JSON type. */
  InvalidParameterType = 'invalid-parameter-type',
  /** An argument the command does not take. */
  UnexpectedParameter = 'unexpected-parameter',
  /** An argument's value is out of range or not one the command accepts. */
  InvalidParameterValue = 'invalid-parameter-value',
  /** Base64 input with characters outside the alphabet. */
  InvalidBase64 = 'invalid-base64',
  /** A file handle that is not open. */
  HandleNotFound = 'handle-not-found',
  /** The command is not supported on this system. */
  Unsupported = 'unsupported',
  /** The command ran and failed. */
  CommandFailed = 'command-failed',
  /** An administrator's rule refused the request (a program not in the exec list). */
  NotAllowed = 'not-allowed',
  /** A bound on what the agent keeps for the host (exec results, open files) is reached. */
  LimitReached = 'limit-reached',
}

/** An error to answer as plain data: what a queue holds, without the stack an Error captures. */
export interface QgaFault {
  readonly code: QgaErrorCode;
  /** The `desc` text, exactly as qemu-ga words it. */
  readonly desc: string;
  readonly errorClass: ErrorClass;
}

/** An error answered to the host as `{"error": {"class", "desc"}}`. */
export class QgaError extends Error {
  override readonly name = 'QgaError';

  constructor(
    readonly code: QgaErrorCode,
    /** The `desc` text, exactly as qemu-ga words it. */
    readonly desc: string,
    readonly errorClass: ErrorClass = 'GenericError',
  ) {
    super(desc);
  }
}

/** qemu-ga's syntax error: "JSON parse error, …", its detail cut at 1023 bytes like QEMU's message buffer. */
export function jsonSyntaxError(detail: string): QgaError {
  return new QgaError(QgaErrorCode.JsonSyntax, jsonSyntaxDesc(detail));
}

/** The same syntax error as plain data (for the parse stream, which queues its errors). */
export function jsonSyntaxFault(detail: string): QgaFault {
  return { code: QgaErrorCode.JsonSyntax, desc: jsonSyntaxDesc(detail), errorClass: 'GenericError' };
}

/** The plain data of an error, its stack left behind. */
export function faultOf(error: QgaError): QgaFault {
  return { code: error.code, desc: error.desc, errorClass: error.errorClass };
}

function jsonSyntaxDesc(detail: string): string {
  return `JSON parse error, ${detail.length > 1023 ? detail.slice(0, 1023) : detail}`;
}
