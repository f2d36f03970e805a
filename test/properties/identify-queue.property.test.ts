import test from 'ava';
import fc from 'fast-check';
import type { Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';

const WINDOW = 100;

const planArb = fc.array(
  fc.record({
    shardId: fc.nat({ max: 15 }),
    at: fc.nat({ max: 1000 }),
    /** how long the holder takes to send its identify after the grant */
    holdMs: fc.nat({ max: 60 }),
    /** gives up its place this long after asking, if not granted by then (undefined: never) */
    cancelAfter: fc.option(fc.nat({ max: 400 }), { nil: undefined }),
  }),
  { maxLength: 40 },
);

test('under any schedule of acquire and cancel, no bucket admits two identifies in one window', (t) => {
  fc.assert(
    fc.property(planArb, fc.integer({ min: 1, max: 4 }), (plan, concurrency) => {
      const ts = new TestScheduler(() => true);
      const grants: Array<{ bucket: number; grantedAt: number; releasedAt: number }> = [];
      let holders = 0;
      let overlap = false;
      ts.run(({ flush }) => {
        const queue = createMemoryIdentifyQueue({ maxConcurrency: concurrency, windowMs: WINDOW, safetyMarginMs: 0, scheduler: ts });
        const heldBuckets = new Set<number>();
        for (const step of plan) {
          ts.schedule(() => {
            let granted = false;
            const bucket = step.shardId % concurrency;
            const lease: Subscription = queue.acquire(step.shardId).subscribe((grant) => {
              granted = true;
              if (heldBuckets.has(bucket)) overlap = true;
              heldBuckets.add(bucket);
              holders++;
              const grantedAt = ts.now();
              ts.schedule(() => {
                grant.sent(); // the identify goes out, then the lease is let go
                heldBuckets.delete(bucket);
                holders--;
                grants.push({ bucket, grantedAt, releasedAt: ts.now() });
                lease.unsubscribe();
              }, step.holdMs);
            });
            if (step.cancelAfter !== undefined) ts.schedule(() => granted || lease.unsubscribe(), step.cancelAfter);
          }, step.at);
        }
        flush();
      });
      if (overlap || holders !== 0) return false;
      for (let bucket = 0; bucket < concurrency; bucket++) {
        const inBucket = grants.filter((g) => g.bucket === bucket).sort((a, b) => a.grantedAt - b.grantedAt);
        for (let i = 1; i < inBucket.length; i++) if (inBucket[i]!.grantedAt < inBucket[i - 1]!.releasedAt + WINDOW) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
