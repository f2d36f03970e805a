/** Machine-readable codes of every error this library raises. */
export type ErrorCode =
  | 'DECODE_INVALID_JSON'
  | 'DECODE_INVALID_FRAME'
  | 'DECODE_INFLATE_FAILED'
  | 'DECODE_TOO_LARGE'
  | 'DECODE_UNSUPPORTED'
  | 'ENCODE_TOO_LARGE'
  | 'ENCODE_INVALID'
  | 'COMMAND_REJECTED'
  | 'SHARD_UNAVAILABLE'
  | 'IDENTIFY_BUDGET_EXHAUSTED'
  | 'IDENTIFY_CANCELLED'
  | 'SESSION_STORE_FAILED'
  | 'INVALID_OPTIONS'
  | 'CLUSTER_FATAL'
  | 'CLUSTER_SHUT_DOWN'
  | 'PROTOCOL_INVALID'
  | 'CONTROL_TIMEOUT'
  | 'CONTROL_EXITED'
  | 'DISCORD_UNREACHABLE'
  | 'DISCORD_UNAUTHORIZED'
  | 'DISCORD_RATE_LIMITED'
  | 'DISCORD_HTTP_ERROR'
  | 'DISCORD_INVALID_RESPONSE'
  | 'RESHARD_REFUSED'
  | 'RESHARD_ABORTED'
  | 'LEDGER_UNREACHABLE';

/** An `Error` with a stable `code`; the message is for people, the code for programs. */
export class DisclusterError extends Error {
  override readonly name = 'DisclusterError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `error` is a `DisclusterError`, optionally with the given code. */
export const isDisclusterError = (error: unknown, code?: ErrorCode): error is DisclusterError =>
  error instanceof DisclusterError && (code === undefined || error.code === code);
