import test from 'ava';
import fc from 'fast-check';
import { crossingOf, type FleetLayout, type FleetReshardPlan, fleetPlanProblem } from '../../src/reshard/crossing.js';
import { guildShard } from '../../src/gateway/guild-shard.js';
import type { HandoverLedger, HandoverSide } from '../../src/reshard/ledger.js';
import { LedgerRoute } from '../../src/reshard/ledger-route.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';

/** A fleet layout of `total` shards over `clusters` clusters, each shard given to a random cluster (every cluster at least one when it can). */
const layoutArb = (clusters: number) =>
  fc.integer({ min: clusters, max: 24 }).chain((total) =>
    fc.array(fc.nat({ max: clusters - 1 }), { minLength: total, maxLength: total }).map((owner): FleetLayout => {
      const map: Record<string, number[]> = {};
      for (let c = 0; c < clusters; c++) map[`c${c}`] = [];
      owner.forEach((c, shard) => map[`c${shard < clusters ? shard : c}`]!.push(shard));
      return { totalShards: total, clusters: map };
    }),
  );
const planArb = fc.integer({ min: 1, max: 5 }).chain((clusters) => fc.record({ from: layoutArb(clusters), to: layoutArb(clusters) }));
/** A guild id whose `id >> 22` is any residue. */
const guildArb = fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }).map((high) => String((high << 22n) | 12345n));
const ownerOf = (layout: FleetLayout, shard: number) => Object.entries(layout.clusters).find(([, ids]) => ids.includes(shard))![0];

test('a guild crosses in its old cluster exactly when it crosses in its new one; a guild that stays goes through no ledger', (t) => {
  fc.assert(
    fc.property(planArb, guildArb, (plan: FleetReshardPlan, guild) => {
      fc.pre(fleetPlanProblem(plan) === null);
      const event = { t: 'MESSAGE_CREATE', d: { guild_id: guild } };
      const oldCluster = ownerOf(plan.from, guildShard(guild, plan.from.totalShards));
      const newCluster = ownerOf(plan.to, guildShard(guild, plan.to.totalShards));
      const fromOld = crossingOf(plan, oldCluster).oldCopy(event);
      const fromNew = crossingOf(plan, newCluster).newCopy(event);
      return fromOld === fromNew && fromOld === (oldCluster !== newCluster);
    }),
  );
  t.pass();
});

test('an event whose guild cannot be read goes through the ledger on both sides; one without a guild is shard 0\'s', (t) => {
  const plan: FleetReshardPlan = { from: { totalShards: 2, clusters: { a: [0], b: [1] } }, to: { totalShards: 3, clusters: { a: [0, 1], b: [2] } } };
  const a = crossingOf(plan, 'a');
  t.true(a.oldCopy({ t: 'MESSAGE_CREATE', d: { guild_id: 'not a snowflake' } }));
  t.true(a.newCopy({ t: 'MESSAGE_CREATE', d: null }));
  t.false(a.oldCopy({ t: 'USER_UPDATE', d: { id: '1' } }), 'shard 0 in both layouts, both in a');
  t.is(fleetPlanProblem({ ...plan, to: { totalShards: 3, clusters: { a: [0, 1], b: [1] } } }), 'to: shard 1 is given to two clusters');
  t.is(fleetPlanProblem(plan, 'c'), 'from does not name cluster c');
});

/** The multiset rule in memory, optionally failing. */
const memoryLedger = () => {
  const counts = new Map<string, { old: number; new: number }>();
  const ledger = {
    failing: false as boolean,
    async offer(side: HandoverSide, keys: readonly string[]) {
      if (ledger.failing) throw new Error('unreachable');
      return keys.map((key) => {
        const c = counts.get(key) ?? { old: 0, new: 0 };
        counts.set(key, c);
        c[side]++;
        return c[side] > c[side === 'old' ? 'new' : 'old'];
      });
    },
    close: async () => {},
  } satisfies HandoverLedger & { failing: boolean };
  return ledger;
};

const ev = (n: number): ShardDispatchEvent => ({ type: 'dispatch', shardId: 0, t: 'MESSAGE_CREATE', s: n, d: { guild_id: '1', content: `m${n}` } }) as ShardDispatchEvent;
const everything = { oldCopy: () => true, newCopy: () => true };
const flushed = () => new Promise((resolve) => setImmediate(resolve));

test('two routes sharing a ledger: whatever the interleaving of the two clusters\' copies and the switch point, every event exactly once across both', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ side: fc.constantFrom('old' as const, 'new' as const), n: fc.nat({ max: 20 }) }), { maxLength: 60 }),
      fc.nat({ max: 60 }),
      async (arrivals, switchAt) => {
        const ledger = memoryLedger();
        const out: number[] = [];
        const emit = (e: ShardDispatchEvent) => out.push(e.s);
        // the old side of one cluster and the new side of another: each event reaches both (order arbitrary)
        const oldCluster = new LedgerRoute({ ledger, crossing: everything, emit, windowMs: 1e9, now: () => 0, report: () => {} });
        const newCluster = new LedgerRoute({ ledger, crossing: everything, emit, windowMs: 1e9, now: () => 0, report: () => {} });
        const seen = { old: new Map<number, number>(), new: new Map<number, number>() };
        const deliver = (side: 'old' | 'new', n: number) => {
          seen[side].set(n, (seen[side].get(n) ?? 0) + 1);
          if (side === 'old') oldCluster.fromOld(ev(n));
          else newCluster.fromNew(ev(n));
        };
        for (const [i, { side, n }] of arrivals.entries()) {
          if (i === switchAt) [oldCluster, newCluster].forEach((r) => r.switchOver());
          deliver(side, n);
          if (i % 7 === 0) await flushed();
        }
        // each set eventually delivers every occurrence the other had
        [oldCluster, newCluster].forEach((r) => r.switchOver());
        for (const n of new Set([...seen.old.keys(), ...seen.new.keys()])) {
          const a = seen.old.get(n) ?? 0;
          const b = seen.new.get(n) ?? 0;
          for (let k = a; k < Math.max(a, b); k++) deliver('old', n);
          for (let k = b; k < Math.max(a, b); k++) deliver('new', n);
        }
        await flushed();
        const counts = new Map<number, number>();
        for (const n of out) counts.set(n, (counts.get(n) ?? 0) + 1);
        for (const n of new Set([...seen.old.keys(), ...seen.new.keys()])) {
          if (counts.get(n) !== Math.max(seen.old.get(n) ?? 0, seen.new.get(n) ?? 0)) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});

test('a ledger that cannot be reached: the copies go out as they came (at-least-once), counted and reported once, and recovery is reported', async (t) => {
  const ledger = memoryLedger();
  const out: number[] = [];
  const reports: unknown[] = [];
  const route = new LedgerRoute({ ledger, crossing: everything, emit: (e) => out.push(e.s), windowMs: 1e9, now: () => 0, report: (r) => reports.push(r) });
  route.fromOld(ev(1));
  await flushed();
  ledger.failing = true;
  route.fromOld(ev(2));
  route.fromOld(ev(3));
  await flushed();
  route.fromOld(ev(4));
  await flushed();
  ledger.failing = false;
  route.fromOld(ev(5));
  await flushed();
  t.deepEqual(out, [1, 2, 3, 4, 5], 'nothing lost, order kept');
  t.like(route.counts, { offered: 5, admitted: 2, fallbacks: 3 });
  t.deepEqual(reports, [
    { type: 'reshard-ledger', state: 'unreachable', fallbacks: 2, reason: 'unreachable' },
    { type: 'reshard-ledger', state: 'reachable', fallbacks: 3 },
  ]);
});

test('before the switch new copies are held a quarter of the window, then offered; the switch offers the rest; an abort drops them', async (t) => {
  const ledger = memoryLedger();
  const out: Array<[number, string]> = [];
  let now = 0;
  const options = { ledger, crossing: everything, emit: (e: ShardDispatchEvent, side: string) => out.push([e.s, side]), windowMs: 100, now: () => now, report: () => {} };
  const route = new LedgerRoute(options);
  t.true(route.fromNew(ev(1)));
  now = 10;
  t.true(route.fromNew(ev(2)));
  t.true(route.fromOld(ev(2)));
  await flushed();
  t.deepEqual(out, [[2, 'old']], 'held: the old copy, close behind, goes out first');
  now = 26;
  route.expire();
  await flushed();
  t.deepEqual(out, [[2, 'old'], [1, 'new']], 'held past 25 ms, a quarter of the window: the old set did not have it');
  route.switchOver();
  await flushed();
  t.deepEqual(out.length, 2, 'the twin of 2 is refused at the switch');
  t.true(route.fromNew(ev(3)));
  await flushed();
  t.deepEqual(out.at(-1), [3, 'new'], 'after the switch new copies are offered at once');

  now = 200;
  route.close();
  t.false(route.fromOld(ev(4)), 'the old set is no longer read');
  now = 250;
  t.true(route.fromNew(ev(5)), 'still judged one window after the close');
  await flushed();
  t.false(route.finished);
  now = 300;
  t.true(route.finished);
  t.false(route.fromNew(ev(6)));

  now = 0;
  const aborted = new LedgerRoute(options);
  t.true(aborted.fromNew(ev(9)));
  aborted.abort();
  t.false(aborted.fromNew(ev(10)), 'the new set is dropped');
  t.true(aborted.fromOld(ev(11)), 'old copies are still judged a window');
  now = 100;
  t.false(aborted.fromOld(ev(12)), 'one window later the old set emits as before');
  await flushed();
  t.false(out.some(([n]) => n === 9 || n === 10), 'nothing held was emitted');
  t.true(aborted.finished);
});
