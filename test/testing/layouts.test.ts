import test from 'ava';
import { shardOf, type Emulator } from '../../src/testing/index.js';
import { emulator, ready, TOKEN, type Client, type Frame } from './helpers.js';

/** The JSON text of a dispatch frame's `d`, exactly as sent. */
const dText = (f: Frame): string => f.text.slice(f.text.indexOf(',"op":0,"d":') + ',"op":0,"d":'.length, -1);

/** Opens one client per shard of a layout. */
const layout = async (url: string, numShards: number): Promise<Client[]> => {
  const clients: Client[] = [];
  for (let shardId = 0; shardId < numShards; shardId++) clients.push((await ready(url, TOKEN, [shardId, numShards])).client);
  return clients;
};

const closeAll = (clients: readonly Client[]) => Promise.all(clients.map((c) => c.close(1000)));

/** Every frame of event `t` the clients got, with the index of the client. */
const received = (clients: readonly Client[], t: string) => clients.flatMap((c, shardId) => c.frames.filter((f) => f.t === t).map((f) => ({ shardId, f })));

/**
 * Sends a SENTINEL to every client of the layouts and waits until each has it: frames of one
 * connection arrive in order, so whatever was sent to a client before has arrived by then.
 */
const flush = async (gw: Emulator, layouts: readonly (readonly Client[])[]): Promise<void> => {
  gw.dispatchToGuild(undefined, 'SENTINEL', {}); // shard 0 of every layout
  for (const clients of layouts) for (let k = 1; k < clients.length; k++) gw.dispatch(k, 'SENTINEL', {}, { numShards: clients.length }); // guild-less, not shard 0: stays there
  await Promise.all(layouts.flat().map((c) => c.frame((f) => f.t === 'SENTINEL')));
};

/** A map's entries sorted by key, for order-blind comparison. */
const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** `s` of a client's dispatches run 1, 2, 3, … with no gap or repeat. */
const sequential = (c: Client): boolean => c.frames.filter((f) => f.op === 0).every((f, i) => f.s === i + 1);

test('dispatchToGuild reaches the owner of the guild in each layout, with the same d and each its own s', async (t) => {
  const gw = await emulator(t, { guilds: 12, identifyWindowMs: 0 });
  const two = await layout(gw.url, 2);
  const three = await layout(gw.url, 3);
  for (const [i, guild] of gw.guilds.entries()) {
    const deliveries = gw.dispatchToGuild(guild.id, 'MESSAGE_CREATE', { id: String(i), guild_id: guild.id, content: `m${i}` });
    t.deepEqual(deliveries.map((d) => [d.numShards, d.shardId]), [[2, i % 2], [3, i % 3]]);
  }
  await flush(gw, [two, three]);
  for (const clients of [two, three]) {
    const got = received(clients, 'MESSAGE_CREATE');
    t.deepEqual(got.map(({ f }) => f.d.content).sort(), gw.guilds.map((_, i) => `m${i}`).sort(), 'every guild event reached this layout exactly once');
    t.true(got.every(({ shardId, f }) => shardOf(f.d.guild_id, clients.length) === shardId), 'each at the shard owning its guild');
    t.true(clients.every(sequential), 'each connection numbers its own dispatches 1, 2, 3, …');
  }
  const texts = (clients: Client[]) => new Map(received(clients, 'MESSAGE_CREATE').map(({ f }) => [f.d.content, dText(f)]));
  t.deepEqual(sorted(texts(two)), sorted(texts(three)), 'the same d text on both layouts');
  // Guild-less: shard 0 of each layout.
  t.deepEqual(gw.dispatchToGuild(undefined, 'DM_EVENT', { dm: true }).map((d) => [d.numShards, d.shardId]), [[2, 0], [3, 0]]);
  t.throws(() => gw.dispatchToGuild('not-a-snowflake', 'X', {}), { instanceOf: RangeError });
  await closeAll([...two, ...three]);
});

test("stream('all') during an overlap gives each guild event to one session of each layout, with the same d", async (t) => {
  const gw = await emulator(t, { guilds: 12, identifyWindowMs: 0 });
  const four = await layout(gw.url, 4);
  const six = await layout(gw.url, 6);
  const { sent } = await gw.stream('all', { count: 600, mix: 'messages', stamp: true }).done;
  t.is(sent, 600);
  const messages = (clients: Client[]) => received(clients, 'MESSAGE_CREATE');
  await flush(gw, [four, six]);
  for (const clients of [four, six]) {
    const got = messages(clients);
    t.is(got.length, 600, `${clients.length} shards: every event once`);
    t.is(new Set(got.map(({ f }) => f.d.id)).size, 600, 'no event twice');
    t.true(got.every(({ shardId, f }) => shardOf(f.d.guild_id, clients.length) === shardId));
    t.true(clients.every(sequential));
  }
  const byId = (clients: Client[]) => new Map(messages(clients).map(({ f }) => [f.d.id, dText(f)]));
  t.deepEqual(sorted(byId(four)), sorted(byId(six)), 'identical d text (emulator_ts included) on both layouts');
  await closeAll([...four, ...six]);
});

test('dispatch(shardId) also reaches the other layouts when the shard owns the event; numShards picks the layout', async (t) => {
  const gw = await emulator(t, { guilds: 6, identifyWindowMs: 0 });
  const two = await layout(gw.url, 2);
  const three = await layout(gw.url, 3);
  const guild = gw.guilds[4]!; // shard 0 of 2, shard 1 of 3
  gw.dispatch(0, 'MESSAGE_CREATE', { guild_id: guild.id, content: 'owned' }, { numShards: 2 });
  // Not owned by the addressed shard: stays there.
  gw.dispatch(1, 'MESSAGE_CREATE', { guild_id: guild.id, content: 'misaddressed' }, { numShards: 2 });
  gw.dispatch(0, 'PLAIN', { content: 'guild-less to shard 0' }, { numShards: 3 });
  gw.dispatch(1, 'PLAIN', { content: 'guild-less to shard 1' }, { numShards: 3 });
  await flush(gw, [two, three]);
  const where = (content: string) =>
    [...two.map((c, i) => [2, i, c] as const), ...three.map((c, i) => [3, i, c] as const)]
      .filter(([, , c]) => c.frames.some((f) => f.d?.content === content))
      .map(([n, i]) => `${i}/${n}`);
  t.deepEqual(where('owned'), ['0/2', '1/3']);
  t.deepEqual(where('misaddressed'), ['1/2']);
  t.deepEqual(where('guild-less to shard 0'), ['0/2', '0/3']);
  t.deepEqual(where('guild-less to shard 1'), ['1/3']);
  t.throws(() => gw.dispatch(2, 'X', {}, { numShards: 2 }), { message: /no session/ });
  await closeAll([...two, ...three]);
});

test('markerTraffic: every marker reaches each layout exactly once, at the owning shard; markers lists them', async (t) => {
  const gw = await emulator(t, { guilds: 10, identifyWindowMs: 0 });
  const four = await layout(gw.url, 4);
  const two = await layout(gw.url, 2);
  const traffic = gw.markerTraffic({ count: 300, rate: 5000, prefix: 'mk-' });
  const { sent } = await traffic.done;
  t.is(sent, 300);
  t.deepEqual(traffic.markers, Array.from({ length: 300 }, (_, i) => `mk-${i}`));
  await flush(gw, [four, two]);
  for (const clients of [four, two]) {
    const got = received(clients, 'MESSAGE_CREATE');
    t.deepEqual(got.map(({ f }) => f.d.content).sort(), [...traffic.markers].sort());
    t.true(got.every(({ shardId, f }) => shardOf(f.d.guild_id, clients.length) === shardId));
    t.is(new Set(got.map(({ f }) => f.d.guild_id)).size, 10, 'spread over every guild');
  }
  await closeAll([...four, ...two]);
});

test('markerTraffic waits while no session owns a guild, skips guilds nobody owns, and stop() ends it', async (t) => {
  const gw = await emulator(t, { guilds: 4, identifyWindowMs: 0 });
  const traffic = gw.markerTraffic({ rate: 2000 });
  // Only shard 1 of 2 is up: guilds 1 and 3 are owned, 0 and 2 not.
  const { client } = await ready(gw.url, TOKEN, [1, 2]);
  await client.frame(() => client.frames.filter((f) => f.t === 'MESSAGE_CREATE').length >= 20);
  traffic.stop();
  const { sent } = await traffic.done;
  const got = client.frames.filter((f) => f.t === 'MESSAGE_CREATE');
  t.true(got.every((f) => f.d.guild_id === gw.guilds[1]!.id || f.d.guild_id === gw.guilds[3]!.id));
  await client.frame(() => client.frames.filter((f) => f.t === 'MESSAGE_CREATE').length === sent);
  t.deepEqual(got.map((f) => f.d.content), traffic.markers.slice(0, got.length));
  t.throws(() => gw.markerTraffic({ rate: 0 }), { instanceOf: RangeError });
  await client.close(1000);
});

test('dispatchMessage: a MESSAGE_CREATE with the content, a unique id and a channel of the guild', async (t) => {
  const gw = await emulator(t, { guilds: 2 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const guild = gw.guilds[1]!;
  const [delivery] = gw.dispatchMessage(guild.id, 'hello there');
  gw.dispatchMessage(guild.id, 'again');
  t.like(delivery, { shardId: 0, numShards: 1, s: 4 }); // READY, 2 GUILD_CREATE, then this
  const first = await client.frame((f) => f.d?.content === 'hello there');
  const second = await client.frame((f) => f.d?.content === 'again');
  t.is(first.d.guild_id, guild.id);
  t.true(guild.textChannelIds.includes(first.d.channel_id));
  t.true(guild.members.some((m) => m.id === first.d.author.id));
  t.not(first.d.id, second.d.id);
  await client.close(1000);
});

test('markerTraffic cycles over the chosen guilds, or over every guild including added ones; bad options are refused up front', async (t) => {
  const gw = await emulator(t, { guilds: 2, identifyWindowMs: 0 });
  const { client } = await ready(gw.url, TOKEN, [0, 1]);
  const chosen = gw.markerTraffic({ count: 10, rate: 5000, prefix: 'only-', guilds: [gw.guilds[1]!.id] });
  await chosen.done;
  const added = gw.addGuilds(1)[0]!;
  const all = gw.markerTraffic({ count: 30, rate: 5000, prefix: 'all-' });
  await all.done;
  await client.frame(() => client.frames.filter((f) => f.d?.content?.startsWith('all-')).length === 30);
  const guildsOf = (prefix: string) => new Set(client.frames.filter((f) => f.d?.content?.startsWith(prefix)).map((f) => f.d.guild_id));
  t.deepEqual([...guildsOf('only-')], [gw.guilds[1]!.id]);
  t.true(guildsOf('all-').has(added.id), 'a guild added before the traffic started takes part');
  t.throws(() => gw.markerTraffic({ guilds: ['x'] }), { instanceOf: RangeError });
  t.throws(() => gw.markerTraffic({ count: 1.5 }), { instanceOf: RangeError });
  await client.close(1000);
});

test('faults can target one shard of one layout: { shardId, numShards }; connections show their numShards', async (t) => {
  const gw = await emulator(t, { guilds: 4, identifyWindowMs: 0 });
  const old = await ready(gw.url, TOKEN, [1, 2]);
  const fresh = await ready(gw.url, TOKEN, [1, 4]);
  t.deepEqual(gw.connections.map((c) => [c.shardId, c.numShards]).sort(), [[1, 2], [1, 4]]);
  t.is(gw.closeShard({ shardId: 1, numShards: 4 }, 4011), 1);
  t.is((await fresh.client.closed).code, 4011);
  t.like(await gw.waitFor((r) => r.kind === 'close' && r.numShards === 4), { by: 'server', code: 4011, shardId: 1 });
  t.deepEqual(gw.connections.map((c) => [c.shardId, c.numShards]), [[1, 2]]);
  t.is(gw.closeShard({ shardId: 1, numShards: 3 }, 4000), 0);
  await old.client.close(1000);
});

test('marker traffic across a live switch of layouts: every marker reaches a layout at most once, and both while both are up', async (t) => {
  const gw = await emulator(t, { guilds: 12, identifyWindowMs: 0 });
  const old = await layout(gw.url, 2);
  const traffic = gw.markerTraffic({ rate: 3000 });
  await old[0]!.frame((f) => f.t === 'MESSAGE_CREATE');
  const fresh = await layout(gw.url, 3); // opened one shard after another while markers flow
  const bothFrom = traffic.sent;
  await fresh[2]!.frame((f) => f.t === 'MESSAGE_CREATE' && Number(f.d.content.slice('marker-'.length)) > bothFrom + 50);
  const bothTo = traffic.sent;
  await closeAll(old);
  await gw.waitFor((r) => r.kind === 'close' && r.numShards === 2 && gw.records.filter((x) => x.kind === 'close' && x.numShards === 2).length === 2);
  const newOnly = traffic.sent; // the old sessions are gone from here on
  await fresh[0]!.frame((f) => f.t === 'MESSAGE_CREATE' && Number(f.d.content.slice('marker-'.length)) > newOnly + 50);
  traffic.stop();
  await traffic.done;
  await flush(gw, [fresh]);
  const counts = (clients: Client[]) => {
    const m = new Map<string, number>();
    for (const { f } of received(clients, 'MESSAGE_CREATE')) m.set(f.d.content, (m.get(f.d.content) ?? 0) + 1);
    return m;
  };
  const [a, b] = [counts(old), counts(fresh)];
  t.true([...a.values(), ...b.values()].every((n) => n === 1), 'no layout got a marker twice');
  t.true(traffic.markers.every((m) => a.has(m) || b.has(m)), 'every marker reached a layout');
  t.true(traffic.markers.slice(bothFrom, bothTo).every((m) => a.has(m) && b.has(m)), 'while both were up, both got each marker');
  t.true(traffic.markers.slice(newOnly).every((m) => !a.has(m) && b.has(m)), 'after the old closed, only the new');
  const closes = gw.records.filter((r) => r.kind === 'close' && r.numShards === 2);
  t.is(closes.length, 2);
  t.true(closes.every((r) => r.kind === 'close' && r.by === 'client' && r.code === 1000));
  t.deepEqual(gw.acceptedIdentifies.map((r) => `${r.shardId}/${r.numShards}`), ['0/2', '1/2', '0/3', '1/3', '2/3']);
  await closeAll(fresh);
});
