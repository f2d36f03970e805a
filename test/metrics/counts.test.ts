import test from 'ava';
import fc from 'fast-check';
import { DispatchCounts, OTHER_EVENT } from '../../src/counting/dispatch-counts.js';
import { LifecycleCounts } from '../../src/counting/lifecycle-counts.js';
import { SHARD_STATUSES, tallyStatuses } from '../../src/counting/status-tally.js';

const table = (counts: DispatchCounts) => {
  const rows: string[] = [];
  counts.forEach((shard, event, n) => rows.push(`${shard}/${event}=${n}`));
  return rows.sort();
};

test('dispatches are counted per shard and per event name', (t) => {
  const counts = new DispatchCounts();
  for (const [shard, event] of [[0, 'READY'], [0, 'MESSAGE_CREATE'], [1, 'MESSAGE_CREATE'], [0, 'MESSAGE_CREATE']] as const) counts.count(shard, event);
  t.deepEqual(table(counts), ['0/MESSAGE_CREATE=2', '0/READY=1', '1/MESSAGE_CREATE=1']);
  t.is(counts.total(), 4);
  t.deepEqual(counts.snapshot(), [
    { shardId: 0, counts: { READY: 1, MESSAGE_CREATE: 2 } },
    { shardId: 1, counts: { MESSAGE_CREATE: 1 } },
  ]);
});

test('names past the cap, and names not shaped like a Discord event, count as "other"', (t) => {
  const counts = new DispatchCounts(2);
  for (const event of ['A', 'B', 'C', 'A', 'D', 'lower', 'X'.repeat(65), 'B']) counts.count(0, event);
  t.deepEqual(table(counts), ['0/A=2', '0/B=2', `0/${OTHER_EVENT}=4`]);
  // a name already given a label keeps it on another shard
  counts.count(1, 'B');
  counts.count(1, 'C');
  t.deepEqual(table(counts).filter((r) => r.startsWith('1/')), ['1/B=1', `1/${OTHER_EVENT}=1`]);
});

test('property: every dispatch is counted exactly once, and the labels never pass the cap plus "other"', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.oneof(fc.constantFrom('READY', 'MESSAGE_CREATE', 'GUILD_CREATE', 'TYPING_START', 'X1', 'X2', 'X3', 'X4', 'X5'), fc.string())), { maxLength: 300 }),
      (cap, dispatches) => {
        const counts = new DispatchCounts(cap);
        for (const [shard, event] of dispatches) counts.count(shard, event);
        const labels = new Set<string>();
        const perShard = new Map<number, number>();
        counts.forEach((shard, event, n) => {
          labels.add(event);
          perShard.set(shard, (perShard.get(shard) ?? 0) + n);
        });
        if (counts.total() !== dispatches.length) return false;
        for (const [shard, n] of perShard) if (n !== dispatches.filter(([s]) => s === shard).length) return false;
        return [...labels].filter((l) => l !== OTHER_EVENT).length <= cap;
      },
    ),
  );
  t.pass();
});

test('reconnects are counted with what the shard does next: resume while it holds a session, else identify; dropped messages by reason; loop pauses', (t) => {
  const counts = new LifecycleCounts();
  const status = (shardId: number, s: string) => counts.observe({ type: 'status', shardId, status: s });
  status(0, 'connecting');
  status(0, 'identifying');
  counts.observe({ type: 'session', shardId: 0, session: { sessionId: 'a' } });
  status(0, 'ready');
  status(0, 'reconnecting'); // dropped: resumes
  status(0, 'resuming');
  status(0, 'resumed');
  counts.observe({ type: 'session-lost', shardId: 0 });
  counts.observe({ type: 'session', shardId: 0, session: null });
  status(0, 'reconnecting'); // session gone: identifies
  counts.observe({ type: 'fatal', shardId: 1, kind: 'auth' });
  counts.observe({ type: 'fatal', shardId: 1, kind: 'something-new' });
  counts.observe({ type: 'message-dropped', shardId: 1, reason: 'too-large' });
  counts.observe({ type: 'message-dropped', shardId: 1, reason: 'too-large' });
  counts.observe({ type: 'message-dropped', shardId: 1, reason: 'from-the-future' });
  counts.observe({ type: 'identify-loop', shardId: 0 });
  counts.observe({ type: 'reshard', shardId: 1 } as never); // unknown types are ignored
  counts.observe({ type: 'status', shardId: -1, status: 'reconnecting' });
  counts.observe({ type: 'status', status: 'reconnecting' });
  t.deepEqual(counts.snapshot(), [
    { shardId: 0, reconnects: { resume: 1, identify: 1, unreachable: 0 }, sessionsLost: 1, fatal: {}, messagesDropped: {}, identifyLoopPauses: 1 },
    { shardId: 1, reconnects: { resume: 0, identify: 0, unreachable: 0 }, sessionsLost: 0, fatal: { auth: 1, other: 1 }, messagesDropped: { 'too-large': 2, other: 1 }, identifyLoopPauses: 0 },
  ]);
});

test('a shard that starts by resuming a stored session counts its next reconnect as a resume', (t) => {
  const counts = new LifecycleCounts();
  for (const s of ['connecting', 'resuming', 'reconnecting']) counts.observe({ type: 'status', shardId: 4, status: s });
  t.deepEqual(counts.snapshot()[0]!.reconnects, { resume: 1, identify: 0, unreachable: 0 });
});

const lifecycleEvent = fc.oneof(
  fc.record({ type: fc.constant('status'), shardId: fc.integer({ min: 0, max: 3 }), status: fc.constantFrom(...SHARD_STATUSES) }),
  fc.record({ type: fc.constant('session'), shardId: fc.integer({ min: 0, max: 3 }), session: fc.constantFrom(null, { sessionId: 's' }) }),
  fc.record({ type: fc.constant('session-lost'), shardId: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ type: fc.constant('fatal'), shardId: fc.integer({ min: 0, max: 3 }), kind: fc.constantFrom('auth', 'internal', 'nonsense') }),
  fc.record({ type: fc.constantFrom('heartbeat', 'reshard', 'future'), shardId: fc.integer({ min: -2, max: 3 }) }),
);

test('property: reconnects of both kinds add up to the reconnecting statuses, per shard, whatever the sequence', (t) => {
  fc.assert(
    fc.property(fc.array(lifecycleEvent, { maxLength: 200 }), (events) => {
      const counts = new LifecycleCounts();
      for (const event of events) counts.observe(event);
      return counts.snapshot().every((shard) => {
        const mine = events.filter((e) => e.shardId === shard.shardId);
        const reconnecting = mine.filter((e) => e.type === 'status' && 'status' in e && e.status === 'reconnecting').length;
        const lost = mine.filter((e) => e.type === 'session-lost').length;
        const fatal = mine.filter((e) => e.type === 'fatal').length;
        const fatalCounted = Object.values(shard.fatal).reduce((a, b) => a + b, 0);
        return shard.reconnects.resume + shard.reconnects.identify === reconnecting && shard.sessionsLost === lost && fatalCounted === fatal;
      });
    }),
  );
  t.pass();
});

test('property: the status tally adds up to the number of shards and lists every known status', (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...SHARD_STATUSES), fc.string({ maxLength: 40 }))), (statuses) => {
      const tally = tallyStatuses(statuses.map((status) => ({ status })));
      const total = [...tally.values()].reduce((a, b) => a + b, 0);
      const known = SHARD_STATUSES.every((s) => tally.get(s) === statuses.filter((x) => x === s).length);
      const labelsBounded = [...tally.keys()].every((k) => /^[a-z][a-z-]{0,31}$/.test(k));
      return total === statuses.length && known && labelsBounded;
    }),
  );
  t.pass();
});

test('a reconnect after a connection that ended before Hello counts as "unreachable", not as a resume or an identify', (t) => {
  const counts = new LifecycleCounts();
  counts.observe({ type: 'session', shardId: 0, session: { sessionId: 's' } });
  for (let i = 1; i <= 3; i++) {
    counts.observe({ type: 'unreachable', shardId: 0 });
    counts.observe({ type: 'status', shardId: 0, status: 'reconnecting' });
  }
  counts.observe({ type: 'status', shardId: 0, status: 'reconnecting' }); // one the gateway answered
  t.deepEqual(counts.snapshot()[0]!.reconnects, { resume: 1, identify: 0, unreachable: 3 });
});
