/**
 * The emulator's REST rate limit, pure: a fixed-window bucket per route and major parameter,
 * as Discord describes its buckets (`limit` requests, then wait until the window resets), and
 * the headers Discord sends with every answer. No clock, no I/O: callers pass `now`.
 */

/** One bucket's state: requests left in the window and when the window ends (ms, caller's clock). */
export interface BucketState {
  readonly remaining: number;
  readonly resetAt: number;
}

/** What a bucket allows: `limit` requests per `windowMs`. */
export interface BucketRule {
  readonly limit: number;
  readonly windowMs: number;
}

/** The verdict on one request: its new bucket state, and whether it may go through. */
export interface BucketVerdict {
  readonly allowed: boolean;
  readonly state: BucketState;
  /** ms until the window resets (0 < resetAfterMs <= windowMs). */
  readonly resetAfterMs: number;
}

/**
 * Takes one request from a bucket at `now`. A bucket with no state, or whose window has ended,
 * starts a new window at `now`. A refused request does not use up anything.
 */
export const takeFromBucket = (state: BucketState | undefined, rule: BucketRule, now: number): BucketVerdict => {
  const current = state === undefined || now >= state.resetAt ? { remaining: rule.limit, resetAt: now + rule.windowMs } : state;
  const resetAfterMs = current.resetAt - now;
  if (current.remaining <= 0) return { allowed: false, state: current, resetAfterMs };
  return { allowed: true, state: { remaining: current.remaining - 1, resetAt: current.resetAt }, resetAfterMs };
};

/** Seconds with millisecond precision, as Discord writes them (`"1.25"`). */
const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/**
 * Discord's rate-limit headers for an answer from a bucket: `X-RateLimit-Limit`, `-Remaining`,
 * `-Reset` (Unix seconds), `-Reset-After` (seconds) and `-Bucket`. `unixNowMs` turns the
 * relative reset into the absolute one.
 */
export const rateLimitHeaders = (rule: BucketRule, verdict: BucketVerdict, bucket: string, unixNowMs: number): Record<string, string> => ({
  'x-ratelimit-limit': String(rule.limit),
  'x-ratelimit-remaining': String(verdict.state.remaining),
  'x-ratelimit-reset': seconds(unixNowMs + verdict.resetAfterMs),
  'x-ratelimit-reset-after': seconds(verdict.resetAfterMs),
  'x-ratelimit-bucket': bucket,
});

/** The body and headers of a 429, as Discord sends them (`retry_after` in seconds). */
export const tooManyRequests = (retryAfterMs: number, global: boolean): { headers: Record<string, string>; body: { message: string; retry_after: number; global: boolean } } => ({
  headers: {
    'retry-after': seconds(retryAfterMs),
    'x-ratelimit-scope': global ? 'global' : 'user',
    ...(global ? { 'x-ratelimit-global': 'true' } : {}),
  },
  body: { message: 'You are being rate limited.', retry_after: Number(seconds(retryAfterMs)), global },
});
