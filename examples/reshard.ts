/**
 * Resharding when the gateway asks for it: a bot runs the shard count `GET /gateway/bot`
 * recommends, the bot grows (the emulator adds guilds), the recommendation goes up, and the bot
 * reshards in place while messages keep flowing. Every message arrives exactly once.
 *
 *   npx tsx examples/reshard.ts                  # on an embedded emulator, ~10 s
 */
import { createCluster, describeLayout, type ShardLayout } from '@discluster/cluster';
import { createEmulator } from '@discluster/cluster/testing';

const TOKEN = 'emulator-token';
const WINDOW_MS = 300;
// Discord recommends a shard per ~1000 guilds and refuses more than 2500 on one shard (close
// 4011); the emulator does the same with smaller numbers so the example stays small.
const gw = await createEmulator({
  guilds: 30,
  recommendedGuildsPerShard: 20,
  maxGuildsPerShard: 50,
  maxConcurrency: 2,
  identifyWindowMs: WINDOW_MS,
  heartbeatInterval: 1_000,
});

interface GatewayBot {
  readonly url: string;
  readonly shards: number;
  readonly session_start_limit: { total: number; remaining: number; reset_after: number; max_concurrency: number };
}
const gatewayBot = async (): Promise<GatewayBot> => {
  const response = await fetch(`${gw.httpUrl}/gateway/bot`, { headers: { Authorization: `Bot ${TOKEN}` } });
  return (await response.json()) as GatewayBot;
};
const allShards = (totalShards: number): ShardLayout => ({ totalShards, shardIds: Array.from({ length: totalShards }, (_, i) => i) });

const bot = await gatewayBot();
const limit = bot.session_start_limit;
const cluster = createCluster({
  token: TOKEN,
  intents: 1 | (1 << 9), // GUILDS | GUILD_MESSAGES
  ...allShards(bot.shards),
  gateway: {
    url: bot.url,
    maxConcurrency: limit.max_concurrency,
    // the reshard checks this budget before it identifies anything
    sessionStartLimit: { total: limit.total, remaining: limit.remaining, resetAfter: limit.reset_after },
  },
  timing: { identifyWindowMs: WINDOW_MS, identifyMarginMs: 30 },
});

// Count every message by its content: the emulator's markers are unique.
const received = new Map<string, number>();
cluster.dispatch$.subscribe((event) => {
  if (event.t !== 'MESSAGE_CREATE') return;
  const content = (event.d as { content: string }).content;
  received.set(content, (received.get(content) ?? 0) + 1);
});
cluster.lifecycle$.subscribe((event) => {
  if (event.type === 'reshard') console.log(`reshard ${event.phase}: ${describeLayout(event.from)} → ${describeLayout(event.to)}`);
});

await cluster.connect();
console.log(`running ${describeLayout(cluster.layout())} for ${gw.guilds.length} guilds`);
const traffic = gw.markerTraffic({ rate: 300 });

/** What a bot would run every hour or so: reshard when Discord recommends more shards than it runs. */
const reshardIfRecommended = async () => {
  const { shards } = await gatewayBot();
  const running = cluster.layout().totalShards;
  if (shards <= running) return console.log(`GET /gateway/bot recommends ${shards} shards, ${running} run: nothing to do`);
  console.log(`GET /gateway/bot recommends ${shards} shards, ${running} run: resharding while messages flow`);
  const report = await cluster.reshard(allShards(shards));
  console.log(
    `resharded to ${report.to.totalShards} shards in ${Math.round(report.elapsedMs)} ms: ${report.identifies} identifies, ` +
      `handover ${report.handoffMs.toFixed(1)} ms after the last new READY, ${report.duplicatesSuppressed} duplicates suppressed`,
  );
};

await reshardIfRecommended();
const added = gw.addGuilds(50);
console.log(`the bot joined ${added.length} guilds: ${gw.guilds.length} now`);
await reshardIfRecommended();

// Stop the traffic, then send one last message through each shard: once those arrived, so has
// everything sent before them.
traffic.stop();
await traffic.done;
const { totalShards, shardIds } = cluster.layout();
const fences = shardIds.map((shardId) => `fence-${shardId}`);
await new Promise<void>((resolve) => {
  const check = () => fences.every((fence) => received.has(fence)) && resolve();
  const subscription = cluster.dispatch$.subscribe(() => check() && subscription.unsubscribe());
  shardIds.forEach((shardId, i) => gw.dispatchMessage(gw.guildsOf(shardId, totalShards)[0]!.id, fences[i]!));
});

const once = traffic.markers.filter((marker) => received.get(marker) === 1).length;
const repeated = traffic.markers.filter((marker) => (received.get(marker) ?? 0) > 1).length;
console.log(`messages: ${traffic.markers.length} sent, ${once} received exactly once, ${repeated} repeated, ${traffic.markers.length - once - repeated} lost`);
console.log(`identifies in all: ${gw.acceptedIdentifies.length}; emulator rule violations: ${gw.violations.length}`);
await cluster.shutdown();
await gw.close();
