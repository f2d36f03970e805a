/**
 * A bot the way you would write one: RxJS pipelines over `cluster.dispatch$`, replying through
 * @discordjs/rest (which handles Discord's rate limits). On the emulator the whole loop runs:
 * `!ping` → the bot's REST call → the emulator makes the message → its MESSAGE_CREATE comes back.
 *
 *   npx tsx examples/bot.ts                      # on an embedded emulator, a few seconds
 *   DISCORD_TOKEN=… npx tsx examples/bot.ts      # on real Discord (Ctrl-C to stop)
 *
 * In your project, import from '@discluster/cluster' exactly as here.
 */
import { createCluster, fetchGatewayBot, gatewayOptions, ofType, type Cluster } from '@discluster/cluster';
import { createEmulator } from '@discluster/cluster/testing';
import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { filter, firstValueFrom, map, mergeMap, type Observable, scan, share, shareReplay, take, toArray } from 'rxjs';
import { pathToFileURL } from 'node:url';

/** Sends a message to a channel (Discord's REST API, or a stand-in in tests). */
export type Reply = (channelId: string, content: string) => Promise<void>;

/** The bot's behaviour, as streams: nothing here knows about sockets or shards' lifecycles. */
export const createBot = (cluster: Cluster, reply: Reply) => {
  const messages$ = cluster.dispatch$.pipe(
    ofType('MESSAGE_CREATE'),
    filter(({ d }) => d.author.bot !== true),
  );

  /**
   * `!ping` → "pong", naming the shard that saw it. Emits each channel replied to. Shared, so a
   * second subscriber does not send a second reply.
   */
  const pongs$: Observable<string> = messages$.pipe(
    filter(({ d }) => d.content.trim() === '!ping'),
    mergeMap(async ({ d, shardId }) => {
      await reply(d.channel_id, `pong (shard ${shardId})`);
      return d.channel_id;
    }),
    share(),
  );

  /**
   * Messages counted per guild, updated with each message. One count for every subscriber:
   * it starts with the first and a late subscriber gets the latest counts at once.
   */
  const perGuild$: Observable<ReadonlyMap<string, number>> = messages$.pipe(
    filter(({ d }) => d.guild_id !== undefined),
    scan((counts, { d }) => new Map(counts).set(d.guild_id!, (counts.get(d.guild_id!) ?? 0) + 1), new Map<string, number>()),
    shareReplay({ bufferSize: 1, refCount: false }),
  );

  /** The bot's own messages as the gateway echoes them back (its replies, seen like any message). */
  const echoes$ = cluster.dispatch$.pipe(
    ofType('MESSAGE_CREATE'),
    filter(({ d }) => d.author.bot === true),
  );

  /** The guilds the bot is in, as they become available or leave. */
  const guilds$: Observable<number> = cluster.dispatch$.pipe(
    ofType('GUILD_CREATE', 'GUILD_DELETE'),
    scan((ids, event) => {
      const next = new Set(ids);
      if (event.t === 'GUILD_CREATE') next.add(event.d.id);
      else next.delete(event.d.id);
      return next;
    }, new Set<string>()),
    map((ids) => ids.size),
  );

  return { pongs$, perGuild$, echoes$, guilds$ };
};

/** Replies through Discord's REST API with @discordjs/rest: it waits out rate limits (429s included) and retries. */
export const restReply =
  (rest: REST): Reply =>
  async (channelId, content) => {
    await rest.post(Routes.channelMessages(channelId), { body: { content } });
  };

/** A MESSAGE_CREATE payload as Discord sends it (the fields this bot reads, and a few more). */
export const message = (guildId: string, content: string, n: number, channelId = `${guildId}0`) => ({
  id: String(1_300_000_000_000_000_000n + BigInt(n)),
  channel_id: channelId,
  guild_id: guildId,
  content,
  author: { id: '4242', username: 'someone', discriminator: '0', global_name: null, avatar: null },
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
});

const main = async () => {
  const token = process.env.DISCORD_TOKEN?.trim();
  if (token) {
    // GET /gateway/bot: a DisclusterError that says what to check if Discord cannot be reached or refuses the token
    const info = await fetchGatewayBot({ token });
    const cluster = createCluster({
      token,
      intents: 1 | (1 << 9) | (1 << 15),
      shardIds: Array.from({ length: info.shards }, (_, i) => i),
      totalShards: info.shards,
      gateway: gatewayOptions(info),
    });
    const bot = createBot(cluster, restReply(new REST({ version: '10' }).setToken(token)));
    bot.pongs$.subscribe((channel) => console.log(`replied in ${channel}`));
    bot.guilds$.subscribe((n) => console.log(`in ${n} guilds`));
    process.once('SIGINT', () => void cluster.shutdown().then(() => process.exit(0)));
    await cluster.connect();
    console.log('ready; Ctrl-C to stop');
    return;
  }

  const gw = await createEmulator({ shards: 2, guilds: 4, identifyWindowMs: 100, heartbeatInterval: 1000 });
  const info = await fetchGatewayBot({ token: 'emulator-token', apiBase: gw.httpUrl }); // the same call, answered by the emulator
  const cluster = createCluster({
    token: 'emulator-token',
    intents: 1 | (1 << 9) | (1 << 15),
    shardIds: Array.from({ length: info.shards }, (_, i) => i),
    totalShards: info.shards,
    gateway: gatewayOptions(info),
    timing: { identifyWindowMs: 100, identifyMarginMs: 25 }, // the emulator's short window; a margin for a busy machine
  });
  // The emulator answers Discord's REST routes too: point @discordjs/rest at it.
  const rest = new REST({ api: gw.rest.api, version: '10' }).setToken('emulator-token');
  const bot = createBot(cluster, restReply(rest));
  const total = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
  const allCounted = firstValueFrom(bot.perGuild$.pipe(filter((counts) => total(counts) === 10)));
  const allEchoed = firstValueFrom(bot.echoes$.pipe(take(gw.guilds.length), toArray()));
  bot.guilds$.subscribe((n) => console.log(`in ${n} guilds`));
  bot.pongs$.subscribe((channel) => console.log(`replied in ${channel} through REST`));
  bot.echoes$.subscribe(({ d, shardId }) => console.log(`my reply came back on shard ${shardId} in ${d.channel_id}: ${d.content}`));
  await cluster.connect();
  gw.guilds.forEach((guild, i) => {
    const shardId = Number((BigInt(guild.id) >> 22n) % 2n);
    const channelId = guild.textChannelIds[0]!;
    for (let k = 0; k <= i; k++) gw.dispatch(shardId, 'MESSAGE_CREATE', message(guild.id, k === 0 ? '!ping' : `hello ${k}`, i * 10 + k, channelId));
  });
  for (const [guild, n] of await allCounted) console.log(`guild ${guild}: ${n} messages`);
  await allEchoed;
  console.log(`the emulator made ${gw.rest.messages.length} messages`);
  await cluster.shutdown();
  await gw.close();
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
