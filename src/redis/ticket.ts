import type { SchedulerLike, Subscriber, Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import type { IdentifyGrant } from '../shard/identify-budget.js';
import type { HealthTracker } from './health.js';
import type { QueueScripts } from './scripts.js';

/** What one waiting shard needs from its queue. */
export interface TicketContext {
  readonly scripts: QueueScripts;
  readonly health: HealthTracker;
  readonly scheduler: SchedulerLike;
  /** A monotonic clock in ms (`performance.now` unless a scheduler was given) for local deadlines. */
  now(): number;
  readonly pollMs: number;
  readonly leaseTtlMs: number;
  /** The window plus the safety margin. */
  readonly gapMs: number;
  /** How long a waiter stays queued without polling before others skip it. */
  readonly ticketTtlMs: number;
  /** The budget arguments for this poll: remaining (-1: no limit) and its TTL in ms. */
  budget(): readonly [number, number];
  /** Called when the ticket is granted or given up, for the queue's counters. */
  onGranted(): void;
  onSettled(): void;
  /** `now()` before which this process will not start an identify in this bucket. */
  notBefore(): number;
  /** This process released a lease of the bucket after identifying (`now()`). */
  onIdentified(at: number): void;
  /** The grant's identify was sent (counted by the queue). */
  onSent(): void;
}

/** The Redis keys of one bucket. */
export interface BucketKeys {
  readonly state: string;
  readonly tickets: string;
  readonly alive: string;
  readonly budget: string;
  /** The bot's reserved units: granted tickets whose identify is not sent yet. */
  readonly reserved: string;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs one `acquire`: polls until the lease is granted, emits the grant once, renews the lease
 * until the subscriber lets go, and releases it (or gives the place up). The grant's `sent()`
 * spends the reserved unit of the budget on Redis; a lease released without it gives the unit
 * back and starts no window. If the lease could have lapsed on
 * Redis before the identify was sent (renewals failing for `leaseTtlMs`), it errors with
 * `IDENTIFY_CANCELLED` so the shard retries instead of identifying into someone else's window.
 * Returns the teardown.
 */
export const runTicket = (ctx: TicketContext, keys: BucketKeys, ticket: string, shardId: number, subscriber: Subscriber<IdentifyGrant>): (() => void) => {
  const { scheduler } = ctx;
  let stopped = false;
  // One timer of each kind at a time (a Subscription bag would keep every fired timer).
  let watchdog: Subscription | null = null;
  let next: Subscription | null = null;
  let hold: Subscription | null = null;
  let identified = false;
  const sent = () => {
    if (identified) return;
    identified = true;
    ctx.onSent();
    // Fire and forget: should it be lost (Redis down), the unit stays unspent: Discord may refuse one identify more than the count says.
    ctx.scripts.sent([keys.budget, keys.reserved], ticket).catch((error: unknown) => ctx.health.failed(describe(error)));
  };
  const emit = () => subscriber.next({ sent });
  /**
   * Emits once this process's own clock allows. A timer can fire a few ms before its delay has
   * passed on the monotonic clock (Node counts it from the loop's cached time, which lags while a
   * turn runs): then it waits again for the rest.
   */
  const emitWhenDue = () => {
    hold = null;
    const early = ctx.notBefore() - ctx.now();
    if (early <= 0) emit();
    else hold = scheduler.schedule(emitWhenDue, Math.max(1, Math.ceil(early)));
  };
  /** Runs `step` after `ms`, replacing the pending poll or renewal. */
  const later = (step: () => void, ms: number) => {
    next?.unsubscribe();
    next = scheduler.schedule(step, ms);
  };

  /** The lease lasts at least until `sentAt + leaseTtlMs` (Redis set it later than we sent). */
  const leaseConfirmed = (sentAt: number) => {
    watchdog?.unsubscribe();
    const guard = Math.min(1_000, Math.floor(ctx.leaseTtlMs / 5));
    watchdog = scheduler.schedule(() => cancel('could not be renewed on Redis'), Math.max(0, sentAt + ctx.leaseTtlMs - guard - ctx.now()));
  };

  /** The lease may be someone else's by now: the shard must not identify on it. */
  const cancel = (why: string) => {
    if (stopped) return;
    stop();
    subscriber.error(new DisclusterError('IDENTIFY_CANCELLED', `the identify lease of shard ${shardId} ${why}; retrying rather than risk a second identify in the window`));
  };

  const renew = () => {
    if (stopped) return;
    const sentAt = ctx.now();
    ctx.scripts.renew([keys.state, keys.reserved], ticket, ctx.leaseTtlMs).then(
      (held) => {
        ctx.health.ok();
        if (stopped) return;
        if (held) leaseConfirmed(sentAt);
        else cancel('is gone from Redis (lapsed, or Redis lost its data)');
      },
      (error: unknown) => ctx.health.failed(describe(error)),
    );
    later(renew, Math.max(1, Math.floor(ctx.leaseTtlMs / 4)));
  };

  const poll = () => {
    if (stopped) return;
    const sentAt = ctx.now();
    const [remaining, budgetTtl] = ctx.budget();
    ctx.scripts
      .poll([keys.state, keys.tickets, keys.alive, keys.budget, keys.reserved], [ticket, ctx.leaseTtlMs, ctx.gapMs, ctx.ticketTtlMs, remaining, budgetTtl])
      .then(
        ([code, ms]) => {
          ctx.health.ok();
          if (stopped) return;
          if (code === 0) {
            ctx.onGranted();
            leaseConfirmed(sentAt);
            later(renew, Math.max(1, Math.floor(ctx.leaseTtlMs / 4)));
            // Belt and braces on this process's monotonic clock: should Redis's wall clock step
            // forward, a grant could come early; never let two identifies of this process closer.
            emitWhenDue();
          } else if (code === 2) {
            stop();
            subscriber.error(
              new DisclusterError('IDENTIFY_BUDGET_EXHAUSTED', `the daily identify budget is spent; it resets in ${Math.max(0, ms)} ms. Refusing to identify shard ${shardId}.`),
            );
          } else {
            // Sleep until the bucket may be free, but poll often enough to stay alive in the queue.
            const delay = Math.min(Math.max(ctx.pollMs, ms), Math.floor(ctx.ticketTtlMs / 3));
            later(poll, delay);
          }
        },
        (error: unknown) => {
          ctx.health.failed(describe(error));
          if (!stopped) later(poll, ctx.pollMs);
        },
      );
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    watchdog?.unsubscribe();
    next?.unsubscribe();
    hold?.unsubscribe();
    if (identified) ctx.onIdentified(ctx.now());
    ctx.onSettled();
    // Fire and forget: a lost release only delays the bucket (the lease or the ticket expires).
    ctx.scripts.release([keys.state, keys.tickets, keys.alive, keys.reserved], ticket, ctx.gapMs, identified).catch((error: unknown) => ctx.health.failed(describe(error)));
  };

  poll();
  return stop;
};
