/**
 * The gateway's rate limits as small clock-driven counters (time is passed in, so they are pure
 * and easy to test): identify buckets, the daily session start limit, and the per-connection
 * send limit.
 */

/**
 * Identify concurrency: bucket `shard_id % maxConcurrency` may identify once per `windowMs`.
 * Only accepted identifies take a bucket.
 */
export class IdentifyBuckets {
  private readonly lastAt = new Map<number, number>();

  constructor(private readonly maxConcurrency: number, private readonly windowMs: number) {}

  /** The bucket (rate_limit_key) of a shard. */
  key(shardId: number): number {
    return shardId % this.maxConcurrency;
  }

  /** ms until the shard's bucket is free again (0 when it is free now). */
  wait(shardId: number, now: number): number {
    const last = this.lastAt.get(this.key(shardId));
    return last === undefined ? 0 : Math.max(0, last + this.windowMs - now);
  }

  /** Takes the shard's bucket at `now`. */
  take(shardId: number, now: number): void {
    this.lastAt.set(this.key(shardId), now);
  }
}

/** `session_start_limit`: `remaining` identifies until `resetAt`, then back to `total`. */
export class SessionStartLimit {
  private resetAt: number;

  constructor(readonly total: number, public remaining: number, private readonly resetAfter: number, now: number) {
    this.resetAt = now + resetAfter;
  }

  private refresh(now: number): void {
    if (now < this.resetAt) return;
    this.remaining = this.total;
    this.resetAt = now + this.resetAfter;
  }

  /** The `session_start_limit` object of `GET /gateway/bot`, less `max_concurrency`. */
  snapshot(now: number): { total: number; remaining: number; reset_after: number } {
    this.refresh(now);
    return { total: this.total, remaining: this.remaining, reset_after: Math.max(0, Math.round(this.resetAt - now)) };
  }

  /** Uses one start; false when none is left. */
  consume(now: number): boolean {
    this.refresh(now);
    if (this.remaining <= 0) return false;
    this.remaining--;
    return true;
  }
}

/**
 * A sliding-window counter: at most `count` events in any `windowMs`. An event may be known only
 * within bounds (read late, see loop-wait.ts): it is judged at the latest it can have come and
 * kept at the earliest, so a late read never makes a verdict.
 */
export class SlidingWindow {
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(private readonly count: number, private readonly windowMs: number) {
    this.times = new Float64Array(count);
  }

  /** Counts one event that came at `now` at the latest and `earliest` at the soonest; false when it is one too many (it is not counted then). */
  hit(now: number, earliest: number = now): boolean {
    if (this.filled === this.count) {
      const oldest = this.times[this.next] ?? 0;
      if (now - oldest < this.windowMs) return false;
    } else {
      this.filled++;
    }
    this.times[this.next] = Math.min(now, earliest);
    this.next = (this.next + 1) % this.count;
    return true;
  }
}
