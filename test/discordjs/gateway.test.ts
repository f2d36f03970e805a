import test, { type ExecutionContext } from 'ava';
import { Client, GatewayDispatchEvents, type MappedEvents } from '@discordjs/core';
import { REST } from '@discordjs/rest';
import type { GatewayMessageCreateDispatchData } from 'discord-api-types/v10';
import { Subject } from 'rxjs';
import { createCluster, isDisclusterError, type Cluster, type ShardDispatchEvent } from '../../src/index.js';
import { toDiscordjsGateway, type DiscordjsGatewaySource } from '../../src/discordjs/index.js';
import { createEmulator, shardOf, type Emulator, type FrameRecord } from '../../src/testing/index.js';

const TOKEN = 'discordjs-test-token';

const setup = async (t: ExecutionContext) => {
  const gw = await createEmulator({ token: TOKEN, shards: 2, guilds: 4, heartbeatInterval: 500, identifyWindowMs: 50 });
  t.teardown(() => gw.close());
  const cluster = createCluster({
    token: TOKEN,
    intents: 1 | (1 << 1) | (1 << 9) | (1 << 15),
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gw.url, maxConcurrency: 1 },
    timing: { identifyWindowMs: 50, identifyMarginMs: 25 },
  });
  t.teardown(() => cluster.shutdown());
  const rest = new REST({ api: gw.rest.api, version: '10' }).setToken(TOKEN);
  return { gw, cluster, rest };
};

/** A user's MESSAGE_CREATE in a synthetic guild's first channel. */
const userMessage = (gw: Emulator, guildIndex: number, content: string) => {
  const guild = gw.guilds[guildIndex]!;
  const author = guild.members[1]!;
  return {
    shardId: shardOf(guild.id, 2),
    d: {
      id: String(1_300_000_000_000_000_000n + BigInt(guildIndex)),
      channel_id: guild.textChannelIds[0]!,
      guild_id: guild.id,
      author,
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
    } satisfies Partial<GatewayMessageCreateDispatchData>,
  };
};

test('a @discordjs/core Client on the cluster: MESSAGE_CREATE arrives, api.channels.createMessage reaches the emulator, and its echo comes back through the cluster', async (t) => {
  const { gw, cluster, rest } = await setup(t);
  const gateway = toDiscordjsGateway(cluster);
  t.teardown(() => gateway.detach());
  const client = new Client({ rest, gateway });
  const echoed = new Promise<MappedEvents[GatewayDispatchEvents.MessageCreate][0]>((resolve) => {
    client.on(GatewayDispatchEvents.MessageCreate, (event) => {
      if (event.data.author.bot === true) resolve(event);
      else if (event.data.content === '!ping') void event.api.channels.createMessage(event.data.channel_id, { content: `pong from shard ${event.shardId}` });
    });
  });
  await cluster.connect();
  const ping = userMessage(gw, 1, '!ping');
  gw.dispatch(ping.shardId, 'MESSAGE_CREATE', ping.d);
  const echo = await echoed;
  t.is(echo.shardId, ping.shardId);
  t.like(echo.data, { channel_id: ping.d.channel_id, guild_id: ping.d.guild_id, content: `pong from shard ${ping.shardId}`, author: { bot: true } });
  t.is(gw.rest.messages.length, 1);
  t.like(gw.rest.messages[0], { shardId: ping.shardId, message: { id: echo.data.id, content: echo.data.content } });
});

test('getShardCount is the cluster total; requestGuildMembers goes out through gateway.send on the owning shard and its chunk comes back', async (t) => {
  const { gw, cluster, rest } = await setup(t);
  const gateway = toDiscordjsGateway(cluster);
  t.teardown(() => gateway.detach());
  const client = new Client({ rest, gateway });
  t.is(await gateway.getShardCount(), 2);
  await cluster.connect();
  const guild = gw.guilds[3]!;
  const { members } = await client.requestGuildMembers({ guild_id: guild.id, query: '', limit: 5 }, 5_000);
  t.is(members.length, 5);
  const request = gw.records.find((r): r is FrameRecord => r.kind === 'frame' && r.op === 8);
  t.is(request?.shardId, shardOf(guild.id, 2));
});

test('send refuses, through the cluster, opcodes a bot may not send and shards the cluster does not run', async (t) => {
  const { gw, cluster } = await setup(t);
  const gateway = toDiscordjsGateway(cluster);
  await cluster.connect();
  const refused = await t.throwsAsync(Promise.resolve(gateway.send(0, { op: 1, d: null })));
  t.true(isDisclusterError(refused, 'COMMAND_REJECTED'));
  const notOurs = await t.throwsAsync(Promise.resolve(gateway.send(5, { op: 3, d: { since: null, activities: [], status: 'online' as never, afk: false } })));
  t.true(isDisclusterError(notOurs, 'SHARD_UNAVAILABLE'));
  t.false(gw.records.some((r) => r.kind === 'frame' && r.op === 3));
});

/** A stand-in cluster whose dispatch$ shows how many subscribers it has. */
const fakeCluster = (total: { n: number }) => {
  const dispatch$ = new Subject<ShardDispatchEvent>();
  const sent: unknown[] = [];
  const source: DiscordjsGatewaySource = {
    dispatch$,
    send: async (shardId, command) => void sent.push([shardId, command]),
    layout: () => ({ totalShards: total.n, shardIds: [0] }),
  };
  return { dispatch$, sent, source };
};

test('the adapter subscribes while it has listeners: off of the last one and detach() unsubscribe; on() attaches again', (t) => {
  const { dispatch$, source } = fakeCluster({ n: 1 });
  const gateway = toDiscordjsGateway(source);
  t.false(dispatch$.observed);
  const seen: unknown[] = [];
  const a = (payload: unknown, shardId: number) => void seen.push(['a', payload, shardId]);
  const b = () => void seen.push(['b']);
  gateway.on('dispatch', a).on('dispatch', b);
  t.true(dispatch$.observed);
  dispatch$.next({ type: 'dispatch', shardId: 3, t: 'TYPING_START', s: 7, d: { x: 1 } });
  t.deepEqual(seen, [['a', { op: 0, t: 'TYPING_START', s: 7, d: { x: 1 } }, 3], ['b']]);
  gateway.off('dispatch', a);
  t.true(dispatch$.observed);
  gateway.off('dispatch', b);
  t.false(dispatch$.observed);
  gateway.on('dispatch', a);
  t.true(dispatch$.observed);
  gateway.detach();
  t.false(dispatch$.observed);
  dispatch$.next({ type: 'dispatch', shardId: 0, t: 'X', s: 1, d: null });
  t.is(seen.length, 2);
});

test('getShardCount reads the source at each call; send passes op and d through', async (t) => {
  const total = { n: 4 };
  const { sent, source } = fakeCluster(total);
  const gateway = toDiscordjsGateway(source);
  t.is(await gateway.getShardCount(), 4);
  total.n = 6;
  t.is(await gateway.getShardCount(), 6);
  await gateway.send(2, { op: 8, d: { guild_id: '1', query: '', limit: 0 } });
  t.deepEqual(sent, [[2, { op: 8, d: { guild_id: '1', query: '', limit: 0 } }]]);
});

test('a listener that throws or rejects goes to onListenerError; the other listeners and the subscription carry on', async (t) => {
  const { dispatch$, source } = fakeCluster({ n: 1 });
  const errors: [unknown, number][] = [];
  const gateway = toDiscordjsGateway(source, { onListenerError: (error, _payload, shardId) => void errors.push([error, shardId]) });
  const seen: number[] = [];
  gateway.on('dispatch', () => {
    throw new Error('sync');
  });
  gateway.on('dispatch', async () => {
    throw new Error('async');
  });
  gateway.on('dispatch', (payload) => void seen.push(payload.s));
  dispatch$.next({ type: 'dispatch', shardId: 1, t: 'X', s: 1, d: null });
  dispatch$.next({ type: 'dispatch', shardId: 2, t: 'X', s: 2, d: null });
  await Promise.resolve();
  t.deepEqual(seen, [1, 2]);
  t.deepEqual(errors.map(([e, shard]) => `${(e as Error).message}@${shard}`).sort(), ['async@1', 'async@2', 'sync@1', 'sync@2']);
  t.true(dispatch$.observed);
  gateway.detach();
});

test('a Cluster is a source: getShardCount() is its layout’s totalShards', (t) => {
  const c: Cluster = createCluster({ token: 't', intents: 1, shardIds: [0], totalShards: 3, gateway: { url: 'ws://127.0.0.1:1', maxConcurrency: 1 } });
  t.is(toDiscordjsGateway(c).getShardCount(), 3);
});
