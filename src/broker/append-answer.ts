/**
 * What the append script's answer means for each entry, pure. An entry is done when Redis wrote
 * it; rejected when Redis refused it for good (a reply such as WRONGTYPE: sending it again would
 * fail again); retried otherwise: the call failed to reach Redis (connection), or Redis answered
 * with an error it gives while it cannot serve for a while (loading, busy script, failover, out of
 * memory). A whole call that fails the same ways retries, or rejects, every entry of its batch.
 */

/** Reply errors that pass: the entry is sent again. */
const PASSING_REPLIES = ['LOADING', 'BUSY', 'TRYAGAIN', 'READONLY', 'MASTERDOWN', 'CLUSTERDOWN', 'OOM', 'NOREPLICAS'];

/** True when a Redis error reply's message is one that passes. */
export const isPassingReply = (message: string): boolean => PASSING_REPLIES.some((code) => message.startsWith(code));

/** True when a failed call should be sent again: not a Redis reply (ioredis' `ReplyError`: a failure to reach it), or a reply that passes. */
export const worthRetrying = (error: Error): boolean => error.name !== 'ReplyError' || isPassingReply(error.message);

/** A batch's answer, sorted. */
export interface BatchOutcome {
  /** Indexes (ascending) of the entries to send again. */
  readonly retry: number[];
  /** Entries Redis refused for good. */
  readonly rejected: number;
  /** The last refusal's message, or '' when none. */
  readonly reason: string;
  /** The message of the last error worth retrying, or '' when none. */
  readonly retryReason: string;
}

const every = (size: number): number[] => Array.from({ length: size }, (_, i) => i);

/** Sorts the script's reply for a batch of `size` entries: a flat list of `index, message` pairs of the entries not written. */
export const sortReply = (reply: unknown, size: number): BatchOutcome => {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) return { retry: every(size), rejected: 0, reason: '', retryReason: 'an unexpected answer from the append script' };
  const retry: number[] = [];
  let rejected = 0;
  let reason = '';
  let retryReason = '';
  for (let k = 0; k < reply.length; k += 2) {
    const index = Number(reply[k]);
    const message = String(reply[k + 1]);
    if (!Number.isInteger(index) || index < 0 || index >= size) continue;
    if (isPassingReply(message)) {
      retry.push(index);
      retryReason = message;
    } else {
      rejected++;
      reason = message;
    }
  }
  retry.sort((a, b) => a - b);
  return { retry, rejected, reason, retryReason };
};

/** Sorts a call that failed as a whole: every entry retried, or every entry rejected. */
export const sortFailure = (error: Error, size: number): BatchOutcome =>
  worthRetrying(error) ? { retry: every(size), rejected: 0, reason: '', retryReason: error.message } : { retry: [], rejected: size, reason: error.message, retryReason: '' };
