/**
 * What a pipeline's answer means for each entry, pure. ioredis answers a pipeline with one
 * `[error, result]` per command, and gives connection failures that way too (a client that does
 * not queue while offline, a connection lost mid-pipeline). An entry is done when Redis wrote it,
 * rejected when Redis refused it for good (a reply error such as WRONGTYPE: sending it again would
 * fail again), and retried otherwise: a connection failure, or a reply Redis gives while it cannot
 * serve for a while (loading, busy script, failover, out of memory).
 */

/** Reply errors that pass: the entry is sent again. */
const PASSING_REPLIES = ['LOADING', 'BUSY', 'TRYAGAIN', 'READONLY', 'MASTERDOWN', 'CLUSTERDOWN', 'OOM', 'NOREPLICAS'];

/** True when an error is Redis's reply (ioredis' `ReplyError`), not a failure to reach it. */
const isReply = (error: Error): boolean => error.name === 'ReplyError';

/** True when an entry whose command failed with `error` should be sent again. */
export const worthRetrying = (error: Error): boolean => !isReply(error) || PASSING_REPLIES.some((code) => error.message.startsWith(code));

/** A pipeline's answer, sorted. */
export interface PipelineOutcome {
  /** Indexes (ascending) of the entries to send again. */
  readonly retry: number[];
  /** Entries Redis refused for good. */
  readonly rejected: number;
  /** The last error's message, or '' when none. */
  readonly reason: string;
  /** The message of the last error worth retrying, or '' when none. */
  readonly retryReason: string;
}

/** Sorts the answer of a pipeline of `size` commands (`null`: ioredis gave none, so every entry is retried). */
export const sortAnswer = (answer: readonly (readonly [Error | null, unknown])[] | null, size: number): PipelineOutcome => {
  if (answer === null || answer.length !== size) return { retry: Array.from({ length: size }, (_, i) => i), rejected: 0, reason: '', retryReason: 'the pipeline got no answer' };
  const retry: number[] = [];
  let rejected = 0;
  let reason = '';
  let retryReason = '';
  answer.forEach(([error], i) => {
    if (error === null) return;
    if (worthRetrying(error)) {
      retry.push(i);
      retryReason = error.message;
    } else {
      rejected++;
      reason = error.message;
    }
  });
  return { retry, rejected, reason, retryReason };
};
