import test from 'ava';
import fc from 'fast-check';
import { template } from '../../src/testing/wire/frames.js';
import type { GatewayCore } from '../../src/testing/gateway/gateway.js';
import { fanOut } from '../../src/testing/gateway/guild-routing.js';
import { guildIdOf, guildKey, LayoutIndex, owns, type Routable } from '../../src/testing/world/routing.js';
import type { Session } from '../../src/testing/gateway/session.js';
import { recommendedShards, shardingRequired } from '../../src/testing/world/sharding.js';
import { createWorld } from '../../src/testing/world/world.js';

interface FakeSession extends Routable {
  readonly name: string;
}

/** Any 64-bit snowflake as a string. */
const guildIdArb = fc.bigUintN(64).map((id) => id.toString());
/** 1–4 distinct shard counts. */
const layoutsArb = fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 });

/** One session per shard of each layout, in a shuffled order (sessions of layouts interleave in the store). */
const sessionsArb = layoutsArb.chain((layouts) =>
  fc.shuffledSubarray(
    layouts.flatMap((n) => Array.from({ length: n }, (_, shardId): FakeSession => ({ shardId, numShards: n, name: `${shardId}/${n}` }))),
    { minLength: layouts.reduce((a, n) => a + n, 0) },
  ).map((sessions) => ({ layouts, sessions })),
);

const reference = (guildId: string, n: number): number => Number((BigInt(guildId) >> 22n) % BigInt(n));

test('for any guild ids and any set of live layouts, a guild event reaches exactly one session per layout: its owner', (t) => {
  fc.assert(
    fc.property(sessionsArb, fc.array(guildIdArb, { minLength: 1, maxLength: 20 }), ({ layouts, sessions }, guildIds) => {
      const index = new LayoutIndex(sessions);
      for (const guildId of guildIds) {
        const owners = index.owners(guildId);
        if (owners.length !== layouts.length) return false;
        if (new Set(owners.map((s) => s.numShards)).size !== layouts.length) return false;
        if (!owners.every((s) => s.shardId === reference(guildId, s.numShards) && owns(s, guildId))) return false;
        // Excluding a layout (the one an event was addressed to) leaves exactly the others.
        const [first] = layouts as [number];
        const others = index.owners(guildId, first);
        if (others.length !== layouts.length - 1 || others.some((s) => s.numShards === first)) return false;
      }
      // Guild-less: shard 0 of every layout.
      const dms = index.owners(undefined);
      return dms.length === layouts.length && dms.every((s) => s.shardId === 0);
    }),
  );
  t.pass();
});

test('duplicate sessions of one [shard, total] (a stale one beside its successor) each get the event', (t) => {
  fc.assert(
    fc.property(layoutsArb, guildIdArb, fc.integer({ min: 1, max: 3 }), (layouts, guildId, copies) => {
      const sessions = layouts.flatMap((n) =>
        Array.from({ length: n * copies }, (_, k): FakeSession => ({ shardId: k % n, numShards: n, name: `${k % n}/${n}#${k}` })),
      );
      const owners = new LayoutIndex(sessions).owners(guildId);
      return owners.length === layouts.length * copies && owners.every((s) => s.shardId === reference(guildId, s.numShards));
    }),
  );
  t.pass();
});

test('fanOut: an event given to its owner in one layout reaches exactly one owner in every other layout, with the same template', (t) => {
  fc.assert(
    fc.property(sessionsArb, guildIdArb, fc.boolean(), ({ layouts, sessions }, guildId, guildLess) => {
      const given: { session: FakeSession; tpl: unknown }[] = [];
      const core = { dispatch: (session: FakeSession, tpl: unknown) => given.push({ session, tpl }) } as unknown as GatewayCore;
      const tpl = template('MESSAGE_CREATE', guildLess ? { content: 'dm' } : { guild_id: guildId, content: 'x' });
      const index = new LayoutIndex(sessions) as unknown as LayoutIndex<Session>;
      for (const from of sessions) {
        given.length = 0;
        fanOut(core, index, from as unknown as Session, tpl, undefined);
        const owned = guildLess ? from.shardId === 0 : from.shardId === reference(guildId, from.numShards);
        if (!owned || layouts.length === 1) {
          if (given.length !== 0) return false; // a misaddressed event stays where it was addressed
          continue;
        }
        const reached = [from, ...given.map((g) => g.session)];
        if (new Set(reached.map((s) => s.numShards)).size !== layouts.length || reached.length !== layouts.length) return false;
        if (!given.every((g) => g.tpl === tpl && owns(g.session, tpl.guildId))) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('guildIdOf: guild_id, or id for GUILD_CREATE/UPDATE/DELETE; guildKey is the exact top 42 bits', (t) => {
  t.is(guildIdOf('MESSAGE_CREATE', { guild_id: '123', id: '9' }), '123');
  t.is(guildIdOf('GUILD_CREATE', { id: '77', guild_id: '5' }), '77');
  t.is(guildIdOf('MESSAGE_CREATE', { content: 'dm' }), undefined);
  t.is(guildIdOf('MESSAGE_CREATE', { guild_id: 'abc' }), undefined);
  t.is(guildIdOf('X', null), undefined);
  t.is(template('TYPING_START', { guild_id: '42' }).guildId, '42');
  fc.assert(fc.property(guildIdArb, (id) => BigInt(guildKey(id)) === BigInt(id) >> 22n));
});

test('world.add: any split of additions makes the same guilds, and guild i stays on shard i % n', (t) => {
  fc.assert(
    fc.property(fc.nat({ max: 20 }), fc.array(fc.nat({ max: 8 }), { maxLength: 5 }), fc.nat({ max: 1000 }), (initial, splits, seed) => {
      const a = createWorld(initial, seed);
      const b = createWorld(initial, seed);
      const lists = [a.guildsOf(0, 3), a.guildsOf(1, 4)]; // cached before: must grow in place
      for (const n of splits) a.add(n);
      b.add(splits.reduce((x, y) => x + y, 0));
      if (JSON.stringify(a.guilds) !== JSON.stringify(b.guilds)) return false;
      if (!a.guilds.every((g, i) => g.index === i && [1, 2, 3, 4, 6, 8, 12, 16].every((n) => reference(g.id, n) === i % n))) return false;
      if (lists[0]!.length !== a.guilds.filter((g) => g.index % 3 === 0).length) return false;
      if (lists[1]!.length !== a.guilds.filter((g) => g.index % 4 === 1).length) return false;
      return a.guilds.every((g) => a.guildById(g.id) === g);
    }),
    { numRuns: 50 },
  );
  t.pass();
});

test('sharding rules: 4011 only past the limit; the recommendation covers every guild at the ratio, never below the minimum or 1', (t) => {
  fc.assert(
    fc.property(fc.nat({ max: 100_000 }), fc.integer({ min: 1, max: 5000 }), fc.nat({ max: 200 }), (guilds, per, minimum) => {
      const shards = recommendedShards(guilds, per, minimum);
      const refused = shardingRequired(guilds, per) !== undefined;
      return (
        Number.isInteger(shards) &&
        shards >= 1 &&
        shards >= minimum &&
        shards * per >= guilds &&
        (shards === Math.max(1, minimum) || (shards - 1) * per < guilds) &&
        refused === guilds > per
      );
    }),
  );
  t.pass();
});
