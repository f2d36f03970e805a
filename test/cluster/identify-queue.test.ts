import test from 'ava';
import type { Subscription } from 'rxjs';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { virtualTime } from '../shard/marbles.js';

/** Acquires for each shard at time 0 and releases each lease as soon as it is granted. */
const grantTimes = (t: Parameters<typeof virtualTime>[0], shardIds: number[], maxConcurrency: number, windowMs = 100) => {
  const ts = virtualTime(t);
  const grants: Array<[number, number]> = [];
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency, windowMs, safetyMarginMs: 0, scheduler: ts });
    for (const id of shardIds) {
      const lease: Subscription = queue.acquire(id).subscribe((grant) => {
        grant.sent();
        grants.push([id, ts.now()]);
        ts.schedule(() => lease.unsubscribe(), 0);
      });
    }
    flush();
  });
  return grants;
};

test('one bucket: one identify per window, in shard order', (t) => {
  t.deepEqual(grantTimes(t, [3, 0, 2, 1], 1), [[0, 0], [1, 100], [2, 200], [3, 300]]);
});

test('max_concurrency c: c identifies per window, bucket by shard % c, in bucket order', (t) => {
  const grants = grantTimes(t, [0, 1, 2, 3, 4, 5, 6, 7], 4);
  t.deepEqual(grants, [[0, 0], [1, 0], [2, 0], [3, 0], [4, 100], [5, 100], [6, 100], [7, 100]]);
  const two = grantTimes(t, [0, 1, 2, 3, 4, 5, 6, 7], 2);
  t.deepEqual(two.map(([, at]) => at), [0, 0, 100, 100, 200, 200, 300, 300]);
});

test('the window counts from the release of the lease, plus the safety margin', (t) => {
  const ts = virtualTime(t);
  const grants: number[] = [];
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 100, safetyMarginMs: 5, scheduler: ts });
    const first = queue.acquire(0).subscribe((grant) => (grant.sent(), grants.push(ts.now())));
    queue.acquire(1).subscribe(() => grants.push(ts.now()));
    ts.schedule(() => first.unsubscribe(), 30); // identify sent 30 ms after the grant
    flush();
  });
  t.deepEqual(grants, [0, 135]);
});

test('a waiter that gives up its place is skipped; nothing is granted twice', (t) => {
  const ts = virtualTime(t);
  const grants: number[] = [];
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 100, safetyMarginMs: 0, scheduler: ts });
    const a = queue.acquire(0).subscribe((grant) => (grant.sent(), grants.push(0)));
    const b = queue.acquire(1).subscribe(() => grants.push(1));
    queue.acquire(2).subscribe(() => grants.push(2));
    b.unsubscribe();
    ts.schedule(() => a.unsubscribe(), 10);
    flush();
  });
  t.deepEqual(grants, [0, 2]);
});

test('the daily budget is never overspent: past remaining, acquire errors with a clear code', (t) => {
  const ts = virtualTime(t);
  const outcomes: string[] = [];
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency: 4, windowMs: 100, scheduler: ts, sessionStartLimit: { total: 1000, remaining: 2, resetAfter: 60_000 } });
    for (const id of [0, 1, 2]) {
      const lease = queue.acquire(id).subscribe({
        next: (grant) => (grant.sent(), outcomes.push(`granted ${id}`), ts.schedule(() => lease.unsubscribe(), 0)),
        error: (e: { code: string; message: string }) => outcomes.push(`${e.code} ${id} ${/resets in 60000 ms/.test(e.message)}`),
      });
    }
    flush();
    t.is(queue.remaining, 0);
  });
  t.deepEqual(outcomes, ['granted 0', 'granted 1', 'IDENTIFY_BUDGET_EXHAUSTED 2 true']);
});

test('a grant let go before its identify was sent costs nothing: its unit comes back and no window starts', (t) => {
  const ts = virtualTime(t);
  const grants: Array<[number, number]> = [];
  let queue!: ReturnType<typeof createMemoryIdentifyQueue>;
  ts.run(({ flush }) => {
    queue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 100, safetyMarginMs: 0, scheduler: ts, sessionStartLimit: { total: 10, remaining: 2, resetAfter: 60_000 } });
    // five connections refused before Hello: each granted, none sends
    for (let i = 0; i < 5; i++) {
      ts.schedule(() => {
        const lease: Subscription = queue.acquire(0).subscribe(() => {
          grants.push([0, ts.now()]);
          ts.schedule(() => lease.unsubscribe(), 1);
        });
      }, i * 10);
    }
    // then one that identifies, and another shard of the bucket right after it
    ts.schedule(() => {
      const lease: Subscription = queue.acquire(1).subscribe((grant) => {
        grants.push([1, ts.now()]);
        grant.sent();
        ts.schedule(() => lease.unsubscribe(), 5);
      });
      const next: Subscription = queue.acquire(2).subscribe((grant) => {
        grants.push([2, ts.now()]);
        grant.sent();
        ts.schedule(() => next.unsubscribe(), 5);
      });
    }, 60);
    flush();
  });
  t.deepEqual(grants, [[0, 0], [0, 10], [0, 20], [0, 30], [0, 40], [1, 60], [2, 165]], 'unsent grants start no window');
  t.is(queue.remaining, 0, 'two identifies sent, two units spent');
  t.is(queue.sent, 2);
  t.is(queue.granted, 7);
});

test('while every unit left is reserved by an unsent grant, other buckets wait instead of being refused', (t) => {
  const ts = virtualTime(t);
  const outcomes: string[] = [];
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency: 2, windowMs: 100, safetyMarginMs: 0, scheduler: ts, sessionStartLimit: { total: 10, remaining: 1, resetAfter: 60_000 } });
    const a: Subscription = queue.acquire(0).subscribe(() => {
      outcomes.push(`granted 0 at ${ts.now()}`);
      ts.schedule(() => a.unsubscribe(), 50); // refused before Hello: gives its unit back
    });
    const b: Subscription = queue.acquire(1).subscribe({
      next: (grant) => {
        outcomes.push(`granted 1 at ${ts.now()}`);
        grant.sent();
        ts.schedule(() => b.unsubscribe(), 5);
      },
      error: (e: { code: string }) => outcomes.push(`${e.code} 1`),
    });
    ts.schedule(() => queue.acquire(2).subscribe({ error: (e: { code: string }) => outcomes.push(`${e.code} 2 at ${ts.now()}`) }), 70);
    flush();
  });
  t.deepEqual(outcomes, ['granted 0 at 0', 'granted 1 at 50', 'IDENTIFY_BUDGET_EXHAUSTED 2 at 70']);
});

test('a waiter held back by the last reserved unit is refused once that unit is spent (it never waits forever)', (t) => {
  const ts = virtualTime(t);
  const outcomes: string[] = [];
  ts.run(({ flush }) => {
    const queue = createMemoryIdentifyQueue({ maxConcurrency: 2, windowMs: 100, safetyMarginMs: 0, scheduler: ts, sessionStartLimit: { total: 10, remaining: 1, resetAfter: 60_000 } });
    const a: Subscription = queue.acquire(1).subscribe((grant) => {
      outcomes.push(`granted 1 at ${ts.now()}`);
      ts.schedule(() => (grant.sent(), ts.schedule(() => a.unsubscribe(), 20)), 2);
    });
    ts.schedule(() => queue.acquire(0).subscribe({ next: () => outcomes.push('granted 0'), error: (e: { code: string }) => outcomes.push(`${e.code} 0 at ${ts.now()}`) }), 1);
    flush();
  });
  t.deepEqual(outcomes, ['granted 1 at 0', 'IDENTIFY_BUDGET_EXHAUSTED 0 at 2']);
});

test('absurd options are refused', (t) => {
  t.throws(() => createMemoryIdentifyQueue({ maxConcurrency: 0 }), { message: /maxConcurrency/ });
  t.throws(() => createMemoryIdentifyQueue({ maxConcurrency: 1.5 }), { message: /maxConcurrency/ });
  t.throws(() => createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: -1 }), { message: /windowMs/ });
});

test('guildShard: (guild_id >> 22) % totalShards, for strings and bigints', async (t) => {
  const { guildShard } = await import('../../src/gateway/guild-shard.js');
  t.is(guildShard('81384788765712384', 1), 0);
  t.is(guildShard('81384788765712384', 4), Number((81384788765712384n >> 22n) % 4n));
  t.is(guildShard(41771983423143937n, 16), Number((41771983423143937n >> 22n) % 16n));
  t.is(guildShard('4194304', 2), 1, '1 << 22 lands on shard 1 of 2');
});
