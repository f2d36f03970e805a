import test, { type ExecutionContext } from 'ava';
import { Observable, type Subscription } from 'rxjs';
import { createCluster } from '../../src/cluster/cluster.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { shard } from '../../src/shard/shard.js';
import { isIdentifyGrant } from '../../src/shard/identify-budget.js';
import type { IdentifyQueue } from '../../src/shard/types.js';
import { createEmulator, type Emulator, type FrameRecord } from '../../src/testing/index.js';

const TOKEN = 'identify-lag-token';
const WINDOW = 300;
/** The emulator processes the first wave this late: far beyond the 1 % margin (3 ms). */
const LAG = 250;

/**
 * The counting before answers counted: the inner lease is released as the grant is passed on,
 * i.e. when the shard identifies (for the first wave, whose Hello may come later, a little earlier).
 */
const releasedOnGrant = (inner: IdentifyQueue): IdentifyQueue => ({
  acquire: (shardId) =>
    new Observable<void>((subscriber) => {
      const lease: Subscription = inner.acquire(shardId).subscribe({
        next: (grant) => {
          if (isIdentifyGrant(grant)) grant.sent(); // the identify counts as sent here
          lease.unsubscribe();
          subscriber.next();
        },
        error: (error: unknown) => subscriber.error(error),
      });
      return () => lease.unsubscribe();
    }),
});

const run = async (t: ExecutionContext, wrap: (queue: IdentifyQueue) => IdentifyQueue) => {
  const gw = await createEmulator({ token: TOKEN, shards: 4, maxConcurrency: 2, identifyWindowMs: WINDOW, identifyLag: { first: 2, ms: LAG }, heartbeatInterval: 10_000 });
  t.teardown(() => gw.close());
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: [0, 1, 2, 3],
    totalShards: 4,
    gateway: { url: gw.url, maxConcurrency: 2 },
    identifyQueue: wrap(createMemoryIdentifyQueue({ maxConcurrency: 2, windowMs: WINDOW })),
    timing: { identifyWindowMs: WINDOW, invalidSessionWaitMs: { min: 10, max: 20 }, backoff: { initialMs: 10, maxMs: 50 } },
  });
  t.teardown(() => cluster.shutdown());
  const ready = await cluster.connect();
  t.deepEqual(ready.failed, []);
  return { gw, rateLimited: gw.violations.filter((v) => v.rule === 'identify-rate-limit') };
};

test.serial('a gateway that processes the first wave late sees the second one inside the window when it counts from the send', async (t) => {
  const { rateLimited } = await run(t, releasedOnGrant);
  t.true(rateLimited.length >= 1, 'the old counting is caught by the emulator');
});

test.serial('counted from the answer, the same lag costs time but never an identify inside the window', async (t) => {
  const { gw, rateLimited } = await run(t, (queue) => queue);
  t.deepEqual(rateLimited, []);
  t.deepEqual(gw.violations, []);
  const identifies = gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2);
  t.is(identifies.length, 4, 'one identify per shard, none repeated');
  // the second wave waited for the first one's READY (sent LAG after it arrived) plus a window
  const [first, , second] = identifies;
  t.true(second!.at - first!.at >= LAG + WINDOW, `${second!.at - first!.at} ms between the waves`);
});

test.serial('a shard stopped between its identify and the answer keeps the lease until its socket has closed', async (t) => {
  const gw = await createEmulator({ token: TOKEN, identifyWindowMs: WINDOW, identifyLag: { first: 1, ms: 60_000 }, heartbeatInterval: 10_000 });
  t.teardown(() => gw.close());
  const inner = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: WINDOW });
  let granted = 0;
  let released: Promise<void> | undefined;
  let releasedAt: number | undefined;
  const spy: IdentifyQueue = {
    acquire: (shardId) =>
      new Observable<void>((subscriber) => {
        const lease = inner.acquire(shardId).subscribe(() => (granted++, subscriber.next()));
        released = new Promise<void>((resolve) => subscriber.add(() => (releasedAt = performance.now(), resolve())));
        return () => lease.unsubscribe();
      }),
  };
  const sub = shard({ token: TOKEN, intents: 513, shardId: 0, totalShards: 1, url: gw.url, identifyQueue: spy }).subscribe();
  const deadline = Date.now() + 10_000;
  while (!gw.records.some((r) => r.kind === 'frame' && r.op === 2) && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  t.is(granted, 1);
  sub.unsubscribe();
  t.is(releasedAt, undefined, 'not released while the close is on its way');
  await released;
  const closedAt = gw.records.find((r) => r.kind === 'close')?.at;
  t.not(closedAt, undefined);
  t.true(releasedAt! >= closedAt!, 'released once the gateway had closed the socket');
});

/** A queue that grants at once, then loses the lease (its store went away) once the identify is on the wire. */
const losesLeaseAfterIdentify = (gw: Emulator): IdentifyQueue => ({
  acquire: (shardId) =>
    new Observable<void>((subscriber) => {
      subscriber.next();
      const poll = setInterval(() => {
        if (gw.records.some((r) => r.kind === 'frame' && r.op === 2 && r.shardId === shardId)) subscriber.error(new Error('lease lost: the store went away'));
      }, 5);
      return () => clearInterval(poll);
    }),
});

test.serial('a lease the queue loses after the identify was sent changes nothing: READY as before, no second identify', async (t) => {
  // the emulator answers the identify late, so the lease is lost while the shard waits for READY
  const gw = await createEmulator({ token: TOKEN, shards: 2, maxConcurrency: 2, identifyWindowMs: WINDOW, identifyLag: { first: 2, ms: 150 }, heartbeatInterval: 10_000 });
  t.teardown(() => gw.close());
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gw.url, maxConcurrency: 2 }, // two buckets: the queue may grant both at once
    identifyQueue: losesLeaseAfterIdentify(gw),
    timing: { identifyWindowMs: WINDOW, backoff: { initialMs: 10, maxMs: 50 } },
  });
  t.teardown(() => cluster.shutdown());
  const ready = await cluster.connect();
  t.deepEqual(ready.failed, []);
  const identifies = gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2).map((r) => r.shardId);
  t.deepEqual(identifies.sort(), [0, 1], 'one identify per shard');
});
