import test from 'ava';
import fc from 'fast-check';
import type { Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { type LeaseEvent, releasesLease } from '../../src/shard/identify-lease.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';

const WINDOW = 100;

/** One shard's identify as the gateway treats it; every time relative to the previous step. */
const identifyArb = fc.record({
  shardId: fc.nat({ max: 11 }),
  /** when it asks the queue */
  at: fc.nat({ max: 300 }),
  /** grant → identify written (Hello may come after the grant) */
  sendAfter: fc.nat({ max: 30 }),
  /** how late the gateway processes it: any lag, up to three windows */
  lag: fc.nat({ max: 3 * WINDOW }),
  /** processed → its answer (READY or op 9) reaches the client */
  back: fc.nat({ max: 40 }),
  answer: fc.constantFrom<LeaseEvent>('ready', 'invalid-session', 'socket-closed'),
  /** the client ends the connection itself this long after sending (a timeout, a stop), if at all */
  endsAfter: fc.option(fc.nat({ max: 200 }), { nil: undefined }),
});

type Step = typeof identifyArb extends fc.Arbitrary<infer T> ? T : never;
type Rule = (event: LeaseEvent, identifySent: boolean) => boolean;

/** The rule before answers counted: the lease went with the identify. */
const releaseOnSend: Rule = (event) => event !== 'socket-closed' && event !== 'ready' && event !== 'invalid-session';

/**
 * Runs the plan through the memory queue (margin 0) on virtual time, with a gateway that
 * processes each identify `lag` after it is sent; the connection feeds its events to `rule` and
 * releases the lease on the first it says yes to. Returns, per bucket, when the gateway
 * processed each identify.
 */
const simulate = (plan: readonly Step[], concurrency: number, rule: Rule) => {
  const ts = new TestScheduler(() => true);
  const processed = new Map<number, number[]>();
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency: concurrency, windowMs: WINDOW, safetyMarginMs: 0, scheduler: ts });
    for (const step of plan) {
      ts.schedule(() => {
        let lease: Subscription | null = null;
        const feed = (event: LeaseEvent, sent: boolean) => {
          if (lease !== null && rule(event, sent)) {
            lease.unsubscribe();
            lease = null;
          }
        };
        lease = queue.acquire(step.shardId).subscribe((grant) => {
          ts.schedule(() => {
            grant.sent();
            feed('identify-sent', true);
            const processAt = step.lag;
            ts.schedule(() => {
              const bucket = step.shardId % concurrency;
              processed.set(bucket, [...(processed.get(bucket) ?? []), ts.now()]);
            }, processAt);
            const answerAt = step.lag + step.back;
            const endAt = step.endsAfter;
            if (endAt !== undefined && endAt < answerAt) {
              // the client ends first; its socket closes once the gateway has read the identify and the close
              ts.schedule(() => feed('ending', true), endAt);
              ts.schedule(() => feed('socket-closed', true), Math.max(endAt, processAt) + step.back);
            } else {
              ts.schedule(() => feed(step.answer, true), answerAt);
              ts.schedule(() => feed('socket-closed', true), answerAt + 1);
            }
          }, step.sendAfter);
        });
      }, step.at);
    }
    flush();
  });
  return processed;
};

const spacedByWindow = (processed: Map<number, number[]>): boolean =>
  [...processed.values()].every((times) => {
    const sorted = [...times].sort((a, b) => a - b);
    return sorted.every((at, i) => i === 0 || at - sorted[i - 1]! >= WINDOW);
  });

const planArb = fc.array(identifyArb, { minLength: 1, maxLength: 24 });
const concurrencyArb = fc.integer({ min: 1, max: 4 });

test('whatever the gateway lag, no two identifies of a bucket are processed less than a window apart', (t) => {
  fc.assert(
    fc.property(planArb, concurrencyArb, (plan, concurrency) => spacedByWindow(simulate(plan, concurrency, releasesLease))),
    { numRuns: 400 },
  );
  t.pass();
});

test('counted from the send, a late first wave lets the next one in early (the property can fail)', (t) => {
  const result = fc.check(
    fc.property(planArb, concurrencyArb, (plan, concurrency) => spacedByWindow(simulate(plan, concurrency, releaseOnSend))),
    { numRuns: 400 },
  );
  t.true(result.failed, 'the old counting must be caught by the same property');
});

test('before the identify is sent the place is given up at once; after it, only an answer or the close lets go', (t) => {
  t.true(releasesLease('ending', false));
  t.false(releasesLease('ending', true));
  t.false(releasesLease('identify-sent', true));
  for (const event of ['ready', 'invalid-session', 'socket-closed'] as const) t.true(releasesLease(event, true));
});
