/**
 * A @discordjs/core bot on a Discluster cluster: the cluster runs the shards, @discordjs/core's
 * `Client` gets its events through `toDiscordjsGateway(cluster)` and calls Discord's REST API
 * through `api` (@discordjs/rest underneath).
 *
 *   npx tsx examples/discordjs-core.ts                      # on an embedded emulator, a few seconds
 *   DISCORD_TOKEN=… npx tsx examples/discordjs-core.ts      # on real Discord (Ctrl-C to stop)
 *
 * Needs `@discordjs/core` and `@discordjs/rest` 2 beside '@discluster/cluster' in your project.
 */
import { createCluster, type Cluster } from '@discluster/cluster';
import { toDiscordjsGateway } from '@discluster/cluster/discordjs';
import { createEmulator } from '@discluster/cluster/testing';
import { Client, GatewayDispatchEvents, GatewayIntentBits, type RESTGetAPIGatewayBotResult } from '@discordjs/core';
import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { pathToFileURL } from 'node:url';

const INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent;

/** The bot, written the @discordjs/core way. Returns the client and a detach function. */
export const startBot = (cluster: Cluster, rest: REST, onEcho: (content: string, shardId: number) => void) => {
  const gateway = toDiscordjsGateway(cluster);
  const client = new Client({ rest, gateway });

  client.on(GatewayDispatchEvents.Ready, ({ data, shardId }) => console.log(`shard ${shardId} ready as ${data.user.username}`));

  client.on(GatewayDispatchEvents.MessageCreate, async ({ data, api, shardId }) => {
    if (data.author.bot === true) return onEcho(data.content, shardId); // our own reply, back through the gateway
    if (data.content.trim() !== '!ping') return;
    await api.channels.createMessage(data.channel_id, { content: `pong (shard ${shardId})` });
  });

  return { client, detach: () => gateway.detach() };
};

const main = async () => {
  const token = process.env.DISCORD_TOKEN?.trim();
  if (token) {
    const rest = new REST({ version: '10' }).setToken(token);
    const info = (await rest.get(Routes.gatewayBot())) as RESTGetAPIGatewayBotResult;
    const cluster = createCluster({
      token,
      intents: INTENTS,
      shardIds: Array.from({ length: info.shards }, (_, i) => i),
      totalShards: info.shards,
      gateway: { url: info.url, maxConcurrency: info.session_start_limit.max_concurrency },
    });
    startBot(cluster, rest, (content, shardId) => console.log(`shard ${shardId} saw my reply: ${content}`));
    process.once('SIGINT', () => void cluster.shutdown().then(() => process.exit(0)));
    await cluster.connect();
    console.log('ready; Ctrl-C to stop');
    return;
  }

  const gw = await createEmulator({ shards: 2, guilds: 4, identifyWindowMs: 100, heartbeatInterval: 1000 });
  const cluster = createCluster({
    token: 'emulator-token',
    intents: INTENTS,
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gw.url, maxConcurrency: 1 },
    timing: { identifyWindowMs: 100, identifyMarginMs: 25 }, // the emulator's short window; a margin for a busy machine
  });
  // The emulator answers the REST routes a reply needs: point @discordjs/rest at it.
  const rest = new REST({ api: gw.rest.api, version: '10' }).setToken('emulator-token');
  let echoed = 0;
  let allEchoed!: () => void;
  const echoes = new Promise<void>((resolve) => (allEchoed = resolve));
  const { client, detach } = startBot(cluster, rest, (content, shardId) => {
    console.log(`my reply came back on shard ${shardId}: ${content}`);
    if (++echoed === gw.guilds.length) allEchoed();
  });
  await cluster.connect();

  // A user says !ping in every guild; the emulator routes each to the shard owning the guild.
  gw.guilds.forEach((guild, i) => {
    const shardId = Number((BigInt(guild.id) >> 22n) % 2n);
    gw.dispatch(shardId, 'MESSAGE_CREATE', {
      id: String(1_300_000_000_000_000_000n + BigInt(i)),
      channel_id: guild.textChannelIds[0],
      guild_id: guild.id,
      author: guild.members[0],
      content: '!ping',
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
  });
  await echoes;

  // Gateway commands work too: the Client picks the shard with getShardCount() and sends op 8 through the cluster.
  const guild = gw.guilds[0]!;
  const { members } = await client.requestGuildMembers({ guild_id: guild.id, query: '', limit: 3 });
  console.log(`requested members of guild ${guild.id}: got ${members.length}`);

  detach();
  await cluster.shutdown();
  await gw.close();
  console.log(`done: ${gw.rest.messages.length} messages made through REST`);
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
