import test from 'ava';
import fc from 'fast-check';
import { Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DisclusterError, isDisclusterError } from '../../src/gateway/errors.js';
import { budgetDecision, freeAtAfterRelease, reserveUnit, returnUnit, spendUnit } from '../../src/shard/identify-budget.js';
import { IdentifyPlace } from '../../src/shard/identify-place.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import type { IdentifyQueue } from '../../src/shard/types.js';

const WINDOW = 100;

/** One connection of one shard, from its start (`at`) to its end. */
const connectionArb = fc.record({
  shardId: fc.nat({ max: 7 }),
  at: fc.nat({ max: 600 }),
  /** what happens once granted: the gateway refuses or closes before Hello, or Hello comes and the shard identifies */
  fate: fc.constantFrom('refused-before-hello', 'identifies'),
  /** grant → the connection fails, or grant → Hello and the identify written */
  afterGrant: fc.nat({ max: 40 }),
  /** identify → the gateway's answer (READY, op 9 or the close) */
  answerAfter: fc.nat({ max: 80 }),
  answer: fc.constantFrom('ready' as const, 'invalid-session' as const, 'socket-closed' as const),
  /** the connection ends (stop, timeout) this long after it started, if it has not been granted by then */
  givesUpAfter: fc.option(fc.nat({ max: 300 }), { nil: undefined }),
  /** the queue loses the lease this long after the grant (the Redis queue's lease lapsing mid-way), if at all */
  leaseLostAfter: fc.option(fc.nat({ max: 120 }), { nil: undefined }),
});
type Plan = typeof connectionArb extends fc.Arbitrary<infer T> ? T : never;

/** The queue as one connection sees it: `inner`, except that it may lose the lease `lostAfter` after the grant (as the Redis queue does when it cannot renew). */
const losing = (inner: IdentifyQueue, ts: TestScheduler, lostAfter: number | undefined): IdentifyQueue => ({
  acquire: (shardId) =>
    new Observable<unknown>((subscriber) => {
      let loss: Subscription | null = null;
      const lease: Subscription = inner.acquire(shardId).subscribe({
        next: (grant) => {
          subscriber.next(grant);
          if (lostAfter !== undefined) {
            loss = ts.schedule(() => {
              lease.unsubscribe(); // given back: with the identify sent (the window starts now) or not (nothing spent)
              subscriber.error(new DisclusterError('IDENTIFY_CANCELLED', 'the lease was lost'));
            }, lostAfter);
          }
        },
        error: (error: unknown) => subscriber.error(error),
      });
      return () => {
        loss?.unsubscribe();
        lease.unsubscribe();
      };
    }),
});

interface Sent {
  readonly bucket: number;
  readonly sentAt: number;
  /** when the queue got the lease back (the answer, or the lease lost after the send) */
  releasedAt: number;
}

/**
 * Runs every connection through a real `IdentifyPlace` on the memory queue (margin 0, virtual
 * time) as the shard's connection drives it; returns what was sent, refused and left hanging.
 */
const simulate = (plan: readonly Plan[], concurrency: number, remaining: number) => {
  const ts = new TestScheduler(() => true);
  const sent: Sent[] = [];
  const refusals: Array<{ sentBefore: number }> = [];
  let unsettled = 0;
  let left = NaN;
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency: concurrency, windowMs: WINDOW, safetyMarginMs: 0, scheduler: ts, sessionStartLimit: { total: 1000, remaining, resetAfter: 1e9 } });
    for (const step of plan) {
      ts.schedule(() => {
        let ended = false;
        let settled = false;
        let record: Sent | null = null;
        unsettled++;
        const settle = () => {
          if (!settled) unsettled--;
          settled = true;
        };
        const end = () => {
          if (ended) return;
          ended = true;
          place.event('ending');
          settle();
          // the socket closes a moment later: for an identify sent, the gateway's last word
          ts.schedule(() => place.event('socket-closed'), 1);
        };
        const place: IdentifyPlace = new IdentifyPlace(losing(queue, ts, step.leaseLostAfter), step.shardId, {
          granted: () => {
            settle();
            ts.schedule(() => {
              if (ended) return;
              if (step.fate === 'refused-before-hello') return end();
              const at = ts.now();
              record = { bucket: step.shardId % concurrency, sentAt: at, releasedAt: Infinity };
              sent.push(record);
              place.event('identify-sent');
              ts.schedule(() => {
                if (record!.releasedAt === Infinity) record!.releasedAt = ts.now();
                place.event(step.answer);
                end();
              }, step.answerAfter);
              if (step.leaseLostAfter !== undefined && step.leaseLostAfter >= step.afterGrant) {
                // the queue takes the lease back at the loss (if still held): the window counts from there
                ts.schedule(() => {
                  if (record!.releasedAt === Infinity) record!.releasedAt = ts.now();
                }, step.leaseLostAfter - step.afterGrant);
              }
            }, step.afterGrant);
          },
          end: (why) => {
            if (why.type === 'identify-refused' && isDisclusterError(why.error, 'IDENTIFY_BUDGET_EXHAUSTED')) refusals.push({ sentBefore: sent.length });
            end();
          },
        });
        if (step.givesUpAfter !== undefined) ts.schedule(() => settled || end(), step.givesUpAfter);
      }, step.at);
    }
    flush();
    left = queue.remaining;
  });
  return { sent, refusals, unsettled, left };
};

const planArb = fc.array(connectionArb, { minLength: 1, maxLength: 30 });

test('over any grants, sends, answers, failures and lost leases: remaining goes down exactly by the identifies sent, and no two sent identifies of a bucket share a window', (t) => {
  fc.assert(
    fc.property(planArb, fc.integer({ min: 1, max: 4 }), fc.nat({ max: 12 }), (plan, concurrency, remaining) => {
      const { sent, refusals, unsettled, left } = simulate(plan, concurrency, remaining);
      if (left !== remaining - sent.length) return false; // spent exactly by the identifies sent
      if (unsettled !== 0) return false; // nobody waits forever
      if (refusals.some((r) => r.sentBefore < remaining)) return false; // refused only once the budget was truly spent
      for (let bucket = 0; bucket < concurrency; bucket++) {
        const inBucket = sent.filter((s) => s.bucket === bucket).sort((a, b) => a.sentAt - b.sentAt);
        for (let i = 1; i < inBucket.length; i++) if (inBucket[i]!.sentAt < inBucket[i - 1]!.releasedAt + WINDOW) return false;
      }
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('the accounting itself: a unit is reserved by a grant, spent by a send, given back otherwise; a window starts only after a send', (t) => {
  fc.assert(
    fc.property(fc.nat({ max: 20 }), fc.array(fc.boolean(), { maxLength: 40 }), (remaining, sends) => {
      let count = { remaining, reserved: 0 };
      let spent = 0;
      for (const send of sends) {
        const decision = budgetDecision(count);
        if (decision !== 'grant') return decision === (count.remaining <= 0 ? 'refuse' : 'wait') && count.remaining === remaining - spent;
        count = reserveUnit(count);
        count = send ? spendUnit(count) : returnUnit(count);
        if (send) spent++;
        if (count.reserved !== 0 || count.remaining !== remaining - spent) return false;
      }
      return true;
    }),
  );
  t.is(freeAtAfterRelease(50, 100, false, 30), 50, 'unsent: the bucket stays as free as it was');
  t.is(freeAtAfterRelease(50, 100, true, 30), 130);
  t.is(budgetDecision({ remaining: 1, reserved: 1 }), 'wait');
  t.is(budgetDecision({ remaining: 0, reserved: 0 }), 'refuse');
});
