import test from 'ava';
import { type CloseRecord, createEmulator } from '../../src/testing/index.js';
import { connect, emulator, identify, ready, TOKEN } from './helpers.js';

const gatewayBot = async (httpUrl: string) =>
  (await (await fetch(`${httpUrl}/gateway/bot`, { headers: { authorization: `Bot ${TOKEN}` } })).json()) as { shards: number };

test('addGuilds sends GUILD_CREATE to the owner of each new guild in every layout, and READY lists them afterwards', async (t) => {
  const gw = await emulator(t, { guilds: 4, identifyWindowMs: 0 });
  const two = [await ready(gw.url, TOKEN, [0, 2]), await ready(gw.url, TOKEN, [1, 2])].map((r) => r.client);
  const three = [await ready(gw.url, TOKEN, [0, 3]), await ready(gw.url, TOKEN, [1, 3]), await ready(gw.url, TOKEN, [2, 3])].map((r) => r.client);
  const added = gw.addGuilds(6);
  t.deepEqual(added.map((g) => g.index), [4, 5, 6, 7, 8, 9]);
  t.is(gw.guilds.length, 10);
  for (const [numShards, clients] of [[2, two], [3, three]] as const) {
    for (const g of added) {
      const owner = clients[g.index % numShards]!;
      const frame = await owner.frame((f) => f.t === 'GUILD_CREATE' && f.d.id === g.id);
      t.is(frame.d.name, g.name);
    }
    for (const [shardId, c] of clients.entries()) {
      const created = c.frames.filter((f) => f.t === 'GUILD_CREATE').map((f) => f.d.id as string);
      t.is(new Set(created).size, created.length, 'no guild twice');
      t.true(created.every((id) => gw.guilds.find((g) => g.id === id)!.index % numShards === shardId));
    }
  }
  t.deepEqual(gw.guildsOf(0, 2).map((g) => g.index), [0, 2, 4, 6, 8], 'guildsOf grows');
  const late = await ready(gw.url, TOKEN, [1, 2]);
  t.deepEqual(late.ready.d.guilds.map((g: { id: string }) => g.id), gw.guildsOf(1, 2).map((g) => g.id));
  await Promise.all([...two, ...three, late.client].map((c) => c.close(1000)));
});

test('addGuilds closes a live shard with 4011 once it holds more than maxGuildsPerShard guilds, as Discord does; the others run on', async (t) => {
  const gw = await emulator(t, { guilds: 4, maxGuildsPerShard: 3, identifyWindowMs: 0 });
  const [zero, one] = [await ready(gw.url, TOKEN, [0, 2]), await ready(gw.url, TOKEN, [1, 2])].map((r) => r.client);
  gw.addGuilds(2); // 3 guilds each: at the limit, not over it
  t.is(gw.connections.length, 2);
  gw.addGuilds(1); // guild 6 goes to shard 0 of 2: 4 guilds
  t.is((await zero!.closed).code, 4011);
  t.like(await gw.waitFor((r): r is CloseRecord => r.kind === 'close'), { shardId: 0, numShards: 2, code: 4011, by: 'server' });
  t.deepEqual(gw.sessions.map((s) => [s.shardId, s.numShards, s.live]), [[1, 2, true]], "shard 0's session ended, shard 1 runs on");
  t.deepEqual(gw.violations, [], 'the bot broke no rule');
  await one!.close(1000);
});

test('addGuilds is deterministic from the seed, in any split', async (t) => {
  const a = await emulator(t, { guilds: 3, seed: 7 });
  const b = await emulator(t, { guilds: 3, seed: 7 });
  const c = await emulator(t, { guilds: 0, seed: 7 });
  a.addGuilds(5);
  b.addGuilds(2);
  b.addGuilds(3);
  c.addGuilds(0);
  t.is(JSON.stringify(a.guilds), JSON.stringify(b.guilds));
  t.deepEqual(c.guilds, []);
  t.throws(() => a.addGuilds(-1), { instanceOf: RangeError });
});

test("GET /gateway/bot's shards follows the guild count, and grows with addGuilds", async (t) => {
  const gw = await emulator(t, { guilds: 5, recommendedGuildsPerShard: 2 });
  t.is((await gatewayBot(gw.httpUrl)).shards, 3);
  t.is(gw.recommendedShards, 3);
  gw.addGuilds(2);
  t.is((await gatewayBot(gw.httpUrl)).shards, 4);
  t.is(gw.recommendedShards, 4);
  const many = await emulator(t, { guilds: 2500, shards: 2 });
  t.is((await gatewayBot(many.httpUrl)).shards, 3, 'one shard per 1000 guilds by default');
  const few = await emulator(t, { guilds: 10, shards: 4 });
  t.is((await gatewayBot(few.httpUrl)).shards, 4, 'never fewer than the shards option');
  const none = await emulator(t);
  t.is((await gatewayBot(none.httpUrl)).shards, 1);
});

test('an Identify whose shard would hold more than maxGuildsPerShard guilds is closed with 4011, taking no bucket', async (t) => {
  // 10 guilds: [0, 2] holds 5, [0, 4] holds 3, [2, 4] holds 2.
  const gw = await emulator(t, { guilds: 10, maxGuildsPerShard: 2, identifyWindowMs: 60_000, sessionStartLimit: { total: 10 } });
  const tooFew = await connect(gw.url);
  tooFew.send(identify(TOKEN, { shard: [0, 2] }));
  t.is((await tooFew.closed).code, 4011);
  const unsharded = await connect(gw.url);
  unsharded.send(identify(TOKEN));
  t.is((await unsharded.closed).code, 4011);
  t.like(gw.violations.find((v) => v.rule === 'sharding-required'), { code: 4011, shardId: 0, numShards: 2 });
  t.regex(gw.violations[0]!.detail, /\[0, 2\] would hold 5 guilds \(more than 2\)/);
  t.like(await gw.waitFor((r) => r.kind === 'close' && r.connectionId === 2), { code: 4011, by: 'server', shardId: 0, numShards: 1 });
  t.is(gw.acceptedIdentifies.length, 0);
  // Still the identify bucket's first use: 4011 took neither the bucket nor session_start_limit.
  const fine = await ready(gw.url, TOKEN, [2, 4]);
  t.like(gw.acceptedIdentifies[0], { kind: 'session', event: 'created', shardId: 2, numShards: 4 });
  t.is(gw.violations.filter((v) => v.rule === 'identify-rate-limit').length, 0);
  t.is((await gatewayBot(gw.httpUrl)).shards, 1);
  await fine.client.close(1000);
});

test('absurd sharding options are refused with the option named', async (t) => {
  await t.throwsAsync(createEmulator({ maxGuildsPerShard: 0 }), { instanceOf: RangeError, message: /maxGuildsPerShard/ });
  await t.throwsAsync(createEmulator({ recommendedGuildsPerShard: 1.5 }), { instanceOf: RangeError, message: /recommendedGuildsPerShard/ });
});

test('the default limit (2500) lets the usual tests identify unsharded', async (t) => {
  const gw = await emulator(t, { guilds: 2500 });
  const { client } = await ready(gw.url, TOKEN);
  t.is(gw.acceptedIdentifies.length, 1);
  await client.close(1000);
  const over = await emulator(t, { guilds: 2501 });
  const c = await connect(over.url);
  c.send(identify(TOKEN));
  t.is((await c.closed).code, 4011);
});

test('records for a reshard: accepted identifies per [shard, total], bucket violations, who closed each socket', async (t) => {
  const gw = await emulator(t, { guilds: 4, maxConcurrency: 2, identifyWindowMs: 60_000 });
  const old = [await ready(gw.url, TOKEN, [0, 1])];
  const fresh = [await ready(gw.url, TOKEN, [1, 2])];
  const early = await connect(gw.url);
  early.send(identify(TOKEN, { shard: [0, 2] })); // bucket 0 is still taken by [0, 1]
  await early.frame((f) => f.op === 9);
  t.deepEqual(gw.acceptedIdentifies.map((r) => [r.shardId, r.numShards]), [[0, 1], [1, 2]]);
  t.like(gw.violations.find((v) => v.rule === 'identify-rate-limit'), { shardId: 0, numShards: 2, code: undefined });
  await old[0]!.client.close(1000);
  await gw.waitFor((r) => r.kind === 'close' && r.numShards === 1);
  t.like(gw.records.find((r) => r.kind === 'close'), { by: 'client', code: 1000, shardId: 0, numShards: 1 });
  t.like(gw.records.find((r) => r.kind === 'session' && r.event === 'invalidated'), { shardId: 0, numShards: 1 });
  await Promise.all([...fresh.map((r) => r.client.close(1000)), early.close(1000)]);
  t.is(gw.acceptedIdentifies.length, 2);
});
