import test from 'ava';
import fc from 'fast-check';
import { planFleetReshard, type FleetLayout } from '../../src/index.js';
import { isDisclusterError } from '../../src/gateway/errors.js';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The oracle: the share of guild-id residues mod lcm(old, new) whose old and new shard run in different clusters, counted one by one. */
const movedShare = (from: FleetLayout, to: FleetLayout): number => {
  const ownerIn = (layout: FleetLayout) => {
    const owner = new Map<number, string>();
    for (const [id, shards] of Object.entries(layout.clusters)) for (const s of shards) owner.set(s, id);
    return owner;
  };
  const before = ownerIn(from);
  const after = ownerIn(to);
  const lcm = (from.totalShards * to.totalShards) / gcd(from.totalShards, to.totalShards);
  let moved = 0;
  for (let r = 0; r < lcm; r++) if (before.get(r % from.totalShards) !== after.get(r % to.totalShards)) moved++;
  return moved / lcm;
};

/** Contiguous, balanced ranges of `total` ids over `ids`, in order. */
const contiguous = (total: number, ids: readonly string[]): Record<string, number[]> =>
  Object.fromEntries(ids.map((id, i) => [id, Array.from({ length: total }, (_, s) => s).filter((s) => Math.floor((s * ids.length) / total) === i)]));

/** Every shard of `total` given to one of `k` clusters by `owners`. */
const layoutOf = (total: number, owners: readonly number[], k: number): FleetLayout => ({
  totalShards: total,
  clusters: Object.fromEntries(Array.from({ length: k }, (_, c) => [`c${c}`, owners.flatMap((o, s) => (o === c ? [s] : []))])),
});

const sizes = (plan: FleetLayout) => Object.values(plan.clusters).map((shards) => shards.length);

/** An old layout (any assignment, also unbalanced, also clusters with no old shard) and a new total. */
const requestArb = fc
  .record({ k: fc.integer({ min: 1, max: 5 }), oldTotal: fc.integer({ min: 1, max: 24 }), newTotal: fc.integer({ min: 1, max: 36 }) })
  .filter(({ k, newTotal }) => newTotal >= k)
  .chain(({ k, oldTotal, newTotal }) =>
    fc.record({
      k: fc.constant(k),
      newTotal: fc.constant(newTotal),
      from: fc.array(fc.nat({ max: k - 1 }), { minLength: oldTotal, maxLength: oldTotal }).map((owners) => layoutOf(oldTotal, owners, k)),
    }),
  );

test('the plan covers every new shard exactly once, is balanced, states its moved share exactly, and never moves more than the contiguous split', (t) => {
  fc.assert(
    fc.property(requestArb, ({ k, newTotal, from }) => {
      const plan = planFleetReshard({ from, totalShards: newTotal });
      t.deepEqual(Object.keys(plan.clusters), Object.keys(from.clusters), 'the same clusters, in order');
      t.deepEqual(Object.values(plan.clusters).flat().sort((a, b) => a - b), Array.from({ length: newTotal }, (_, s) => s));
      t.true(Math.max(...sizes(plan)) - Math.min(...sizes(plan)) <= 1, `balanced: ${sizes(plan).join(', ')}`);
      t.true(Math.abs(plan.movedGuildFraction - movedShare(from, plan)) < 1e-12, 'movedGuildFraction is what the residues count');
      const split: FleetLayout = { totalShards: newTotal, clusters: contiguous(newTotal, Object.keys(from.clusters)) };
      t.true(plan.movedGuildFraction <= movedShare(from, split) + 1e-12, 'no worse than the contiguous split');
      t.true(plan.movedGuildFraction >= 0 && plan.movedGuildFraction <= 1);
      t.is(k, Object.keys(plan.clusters).length);
    }),
    { numRuns: 400 },
  );
});

test('the plan is optimal: no balanced layout moves fewer guilds (every layout enumerated, small fleets)', (t) => {
  const small = fc
    .record({ k: fc.integer({ min: 1, max: 3 }), oldTotal: fc.integer({ min: 1, max: 8 }), newTotal: fc.integer({ min: 1, max: 7 }) })
    .filter(({ k, newTotal }) => newTotal >= k)
    .chain(({ k, oldTotal, newTotal }) =>
      fc.record({ k: fc.constant(k), newTotal: fc.constant(newTotal), owners: fc.array(fc.nat({ max: k - 1 }), { minLength: oldTotal, maxLength: oldTotal }) }),
    );
  fc.assert(
    fc.property(small, ({ k, newTotal, owners }) => {
      const from = layoutOf(owners.length, owners, k);
      const plan = planFleetReshard({ from, totalShards: newTotal });
      let best = Infinity;
      const assignment = new Array<number>(newTotal).fill(0);
      for (let code = 0; code < k ** newTotal; code++) {
        for (let s = 0, rest = code; s < newTotal; s++, rest = Math.floor(rest / k)) assignment[s] = rest % k;
        const layout = layoutOf(newTotal, assignment, k);
        const counts = sizes(layout);
        if (Math.max(...counts) - Math.min(...counts) > 1) continue;
        best = Math.min(best, movedShare(from, layout));
      }
      t.true(Math.abs(plan.movedGuildFraction - best) < 1e-12, `plan ${plan.movedGuildFraction}, best ${best}`);
    }),
    { numRuns: 300 },
  );
});

test('multiples of a balanced layout move no guild: new shard s goes where s % old ran', (t) => {
  const balanced = fc
    .record({ k: fc.integer({ min: 1, max: 6 }), perCluster: fc.integer({ min: 1, max: 5 }), factor: fc.integer({ min: 1, max: 4 }), seed: fc.array(fc.double({ noNaN: true }), { minLength: 30, maxLength: 30 }) })
    .map(({ k, perCluster, factor, seed }) => {
      const oldTotal = k * perCluster;
      // a shuffled, balanced assignment: cluster of old shard i is the rank of its key, grouped
      const order = Array.from({ length: oldTotal }, (_, i) => i).sort((a, b) => seed[a % 30]! - seed[b % 30]! || a - b);
      const owners = new Array<number>(oldTotal);
      order.forEach((shard, rank) => (owners[shard] = Math.floor(rank / perCluster)));
      return { from: layoutOf(oldTotal, owners, k), newTotal: oldTotal * factor, owners };
    });
  fc.assert(
    fc.property(balanced, ({ from, newTotal, owners }) => {
      const plan = planFleetReshard({ from, totalShards: newTotal });
      t.is(plan.movedGuildFraction, 0);
      for (const [id, shards] of Object.entries(plan.clusters)) for (const s of shards) t.is(`c${owners[s % owners.length]}`, id);
    }),
    { numRuns: 300 },
  );
});

test("PROTOCOL.md's figures: 8 → 12 over two clusters, 16 → 24 over four", (t) => {
  const halves = { totalShards: 8, clusters: contiguous(8, ['a', 'b']) };
  t.is(movedShare(halves, { totalShards: 12, clusters: contiguous(12, ['a', 'b']) }), 1 / 2, 'contiguous halves to contiguous halves: half move');
  const fromHalves = planFleetReshard({ from: halves, totalShards: 12 });
  t.is(fromHalves.movedGuildFraction, 1 / 2, 'from contiguous halves nothing does better: each new shard holds guilds of both halves');
  const interleaved = { totalShards: 8, clusters: { a: [0, 2, 4, 6], b: [1, 3, 5, 7] } };
  t.deepEqual(planFleetReshard({ from: interleaved, totalShards: 12 }), { totalShards: 12, clusters: { a: [0, 2, 4, 6, 8, 10], b: [1, 3, 5, 7, 9, 11] }, movedGuildFraction: 0 });

  const quarters = { totalShards: 16, clusters: contiguous(16, ['a', 'b', 'c', 'd']) };
  t.is(movedShare(quarters, { totalShards: 24, clusters: contiguous(24, ['a', 'b', 'c', 'd']) }), 3 / 4, 'contiguous quarters: three in four move');
  const plan = planFleetReshard({ from: quarters, totalShards: 24 });
  t.is(plan.movedGuildFraction, 1 / 2, 'the plan moves half');
  t.deepEqual(sizes(plan), [6, 6, 6, 6]);
  t.is(movedShare(quarters, plan), 1 / 2);

  const six = { totalShards: 6, clusters: contiguous(6, ['a', 'b', 'c']) };
  t.is(movedShare(six, { totalShards: 9, clusters: contiguous(9, ['a', 'b', 'c']) }), 2 / 3, '6 → 9 contiguous over three: two in three move');
  t.is(planFleetReshard({ from: six, totalShards: 9 }).movedGuildFraction, 1 / 2);
  t.is(planFleetReshard({ from: halves, totalShards: 16 }).movedGuildFraction, 0, 'doubling, each new s where s % 8 ran');
});

test('bad requests are refused up front with RESHARD_REFUSED and a reason', (t) => {
  const refused = (request: unknown, reason: RegExp) => {
    const error = t.throws(() => planFleetReshard(request as never));
    t.true(isDisclusterError(error, 'RESHARD_REFUSED'), String(error));
    t.regex(error!.message, reason);
  };
  refused({ from: { totalShards: 4, clusters: { a: [0, 1], b: [2] } }, totalShards: 6 }, /no cluster runs shard 3 of 4/);
  refused({ from: { totalShards: 4, clusters: { a: [0, 1, 2], b: [2, 3] } }, totalShards: 6 }, /shard 2 is run by two clusters/);
  refused({ from: { totalShards: 4, clusters: { a: [0, 1, 1, 2, 3] } }, totalShards: 6 }, /cluster "a" lists shard 1 twice/);
  refused({ from: { totalShards: 4, clusters: { a: [0, 1, 2, 4] } }, totalShards: 6 }, /from 0 to 3, got 4/);
  refused({ from: { totalShards: 0, clusters: {} }, totalShards: 6 }, /from.totalShards must be an integer from 1/);
  refused({ from: { totalShards: 2, clusters: { a: [0, 1] } }, totalShards: 0 }, /totalShards must be an integer from 1/);
  refused({ from: { totalShards: 2, clusters: { a: [0, 1] } }, totalShards: 2.5 }, /totalShards must be an integer/);
  refused({ from: { totalShards: 2, clusters: {} }, totalShards: 4 }, /names no cluster/);
  refused({ from: { totalShards: 2, clusters: { a: [0], b: [1], c: [] } }, totalShards: 2 }, /2 new shards cannot give each of 3 clusters one/);
  refused({ from: { totalShards: 2, clusters: { a: '0,1' } }, totalShards: 4 }, /must be an array/);
  refused({ from: null, totalShards: 4 }, /from must be/);
  refused(undefined, /give \{ from, totalShards \}/);
});
