/**
 * `npm start`: the whole system at work. A small CONTROL forks a cluster process over the IPC
 * protocol and shows its shards connecting, their traffic and latency; on the embedded emulator
 * it also injects faults (a dropped connection, an op 7, a zombie, a short outage refusing
 * connections before Hello), one fatal on a separate,
 * labelled demo shard, and a live reshard (8 → 12 shards) while traffic flows, counting unique
 * marker messages to show that each arrived exactly once. With DISCORD_TOKEN it connects to real
 * Discord the same way (no faults, no reshard). `DEMO_FLEET=1` runs a fleet reshard instead
 * (src/cli/fleet-demo.ts).
 */
import { spawnCluster, type ClusterHandle, type ReshardReply } from '../control/index.js';
import { fetchGatewayBot } from '../rest/gateway-bot.js';
import { createMemoryIdentifyQueue } from '../shard/identify-queue.js';
import { newShardLabel, retiredShardLabel } from './shard-labels.js';
import { DEMO_RESHARD_TO, DEMO_SHARDS, resolveTarget } from './target.js';
import { createView, type ShardRow, summaryTable } from './view.js';
import { metricsPort, serveMetrics } from './metrics-server.js';
import { BROKER_DEMO_EVENTS, startBrokerDemo } from './broker-demo.js';
import { runFleetDemo } from './fleet-demo.js';

const DURATION_MS = Math.max(8, Number(process.env.DEMO_SECONDS ?? 30)) * 1000;
const TICK_MS = 250;
const exitWith = (error: Error): never => {
  console.error(`discluster demo: ${error.message}`);
  process.exit(1);
};
const metricsAt = (() => {
  try {
    return metricsPort(process.env.METRICS_PORT);
  } catch (error) {
    return exitWith(error as Error);
  }
})();

/** A setup step that failed ends the demo with one line (what, where, what to check; never the token) and exit code 1. */
const giveUp = (error: unknown): never => {
  console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
};

// DEMO_FLEET=1: a fleet reshard over three cluster processes instead (src/cli/fleet-demo.ts)
if (process.env.DEMO_FLEET === '1') process.exit(await runFleetDemo(process.env).catch(giveUp));

const target = await resolveTarget(process.env).catch(giveUp);
const gw = target.emulator;
const bot = await fetchGatewayBot({ token: target.token, apiBase: target.apiBase }).catch(async (error: unknown) => {
  await gw?.close();
  return giveUp(error);
});
const view = createView(process.stdout.isTTY === true);
const limit = bot.sessionStartLimit;
const totalShards = gw ? DEMO_SHARDS : (target.shards ?? bot.shards);
const mainShards = Array.from({ length: gw ? 8 : totalShards }, (_, i) => i);
view.note(`${target.kind === 'emulator' ? 'embedded gateway emulator' : 'Discord'}: ${bot.url}, max_concurrency ${limit.maxConcurrency}, ${limit.remaining}/${limit.total} identifies left`);

// CONTROL keeps the identify buckets for both clusters: one queue, shared.
const identifyQueue = createMemoryIdentifyQueue({
  maxConcurrency: limit.maxConcurrency,
  windowMs: target.identifyWindowMs,
  safetyMarginMs: target.identifyMarginMs,
  sessionStartLimit: { total: limit.total, remaining: limit.remaining, resetAfter: limit.resetAfter },
});
const common = {
  mode: 'process' as const,
  token: target.token,
  totalShards,
  gateway: { url: bot.url, maxConcurrency: limit.maxConcurrency },
  timing: { identifyWindowMs: target.identifyWindowMs, backoff: { initialMs: 200, maxMs: 5_000 } },
  identify: 'control' as const,
  identifyQueue,
};

// Rows by `totalShards:shardId`: during a reshard shard 3 of 9 and shard 3 of 12 are both shown.
let layoutTotal = totalShards;
let handingOver = false;
const rows = new Map<string, ShardRow>();
const row = (shardId: number, label = `shard ${shardId}`, total = layoutTotal): ShardRow => {
  const key = `${total}:${shardId}`;
  let r = rows.get(key);
  if (!r) rows.set(key, (r = { shardId, label, status: 'starting', events: 0, eventsPerSecond: 0, latencyMs: null, resumes: 0, identifies: 0, unreachable: 0 }));
  return r;
};
for (const id of mainShards) row(id);

const startedAt = performance.now();
// MESSAGE_CREATEs are forwarded to CONTROL, which counts the emulator's unique markers.
// BROKER_REDIS_URL: the forwarded events published to Redis Streams (src/cli/broker-demo.ts)
const brokerUrl = process.env.BROKER_REDIS_URL;
const forwarded = brokerUrl ? [...BROKER_DEMO_EVENTS] : gw ? ['MESSAGE_CREATE'] : [];
const main = spawnCluster({ ...common, clusterId: 'main', shardIds: mainShards, intents: target.intents, forward: { dispatches: forwarded } });
const broker = brokerUrl ? startBrokerDemo(brokerUrl, [main]) : null;
const markerCounts = new Map<string, number>();
const fatalDemo = gw ? spawnCluster({ ...common, clusterId: 'fatal-demo', shardIds: [8], intents: target.intents | (1 << 8) }) : null;
if (fatalDemo) row(8, 'shard 8 of 9 (fatal demo)');
// METRICS_PORT: Prometheus metrics of both clusters, read from their stats replies (see the README's Metrics)
const metrics = metricsAt === undefined ? null : await serveMetrics(metricsAt, () => (fatalDemo ? [main, fatalDemo] : [main]), identifyQueue).catch(exitWith);
if (metrics) view.note(`metrics: ${metrics.url}`);

// `total`: a cluster that never reshards keeps its rows under its own shard count (the fatal demo's
// shard 8 of 9 is not the main cluster's shard 8 of 12 after the reshard)
const follow = (cluster: ClusterHandle, name: string, total?: number) =>
  cluster.messages$.subscribe((message) => {
    if (message.type === 'shard-status') {
      const r = row(message.shardId, undefined, total);
      if (r.status !== 'fatal') r.status = message.status;
      if (message.status === 'identifying') r.identifies++;
      if (message.status === 'resumed') {
        r.resumes++;
        view.note(`shard ${message.shardId} resumed`);
      }
      if (message.status === 'reconnecting') view.note(`shard ${message.shardId} reconnecting${message.code ? ` (close ${message.code})` : ''}`);
    } else if (message.type === 'ready') {
      view.note(`cluster ${name}: ${message.shardIds.length} shard(s) ready in ${Math.round(message.elapsedMs)} ms${message.failed.length ? `, ${message.failed.length} failed` : ''}`);
    } else if (message.type === 'dispatch') {
      const content = (message.d as { content?: unknown } | null)?.content;
      if (typeof content === 'string' && (content.startsWith('marker-') || content.startsWith('fence-'))) markerCounts.set(content, (markerCounts.get(content) ?? 0) + 1);
    } else if (message.type === 'reshard-status') {
      const r = row(message.shardId, newShardLabel(message.shardId, message.totalShards), message.totalShards);
      r.status = message.status;
      if (message.status === 'identifying') r.identifies++;
    } else if (message.type === 'reshard-progress') {
      view.note(`reshard ${message.phase}: ${message.from.shardIds.length} → ${message.to.shardIds.length} shards${message.reason ? ` (${message.reason})` : ''}`);
      handingOver = message.phase === 'handing-over';
      if (message.phase === 'done') retire(message.from.totalShards, message.from.shardIds, message.to.totalShards);
    } else if (message.type === 'fatal') {
      row(message.shardId, undefined, total).status = 'fatal';
      view.note(`FATAL reached CONTROL from cluster ${name}: shard ${message.shardId}, code ${message.code} (${message.kind}): ${message.reason}`);
    }
  });
/** After a reshard: the old rows stay (their events counted) as retired; the new ones become the shards. */
const retire = (fromTotal: number, fromIds: readonly number[], toTotal: number) => {
  for (const id of fromIds) {
    const old = rows.get(`${fromTotal}:${id}`);
    if (old) rows.set(`${fromTotal}:${id}`, { ...old, label: retiredShardLabel(id, fromIds.length), status: 'closed', eventsPerSecond: 0, latencyMs: null });
  }
  for (const [key, r] of rows) if (key.startsWith(`${toTotal}:`)) rows.set(key, { ...r, label: `shard ${r.shardId}` });
  layoutTotal = toTotal;
};
follow(main, 'main');
if (fatalDemo) follow(fatalDemo, 'fatal-demo', totalShards);

let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
  view.note('Ctrl-C: shutting down');
});

const header = () => `Discluster demo — ${target.kind} — ${((performance.now() - startedAt) / 1000).toFixed(1)} s${broker ? ` — ${broker.line()}` : ''}`;
let lastEvents = new Map<number, number>();
/** Shards whose gateway was unreachable since they were last up. */
const outage = new Set<number>();
const refresh = async () => {
  const stats = await main.stats().catch(() => null);
  if (!stats || handingOver) return; // while the sets switch, a reply may hold either: wait for 'done'
  for (const shard of stats.shards) {
    const r = row(shard.shardId);
    r.eventsPerSecond = Math.max(0, Math.round(((shard.events - (lastEvents.get(shard.shardId) ?? 0)) * 1000) / TICK_MS));
    r.events = shard.events;
    r.latencyMs = shard.latencyMs;
    const unreachable = shard.reconnects?.unreachable ?? 0;
    // an outage: say so once per run of failures (the shard keeps trying; nothing is spent)
    if (unreachable > r.unreachable && !outage.has(shard.shardId)) {
      outage.add(shard.shardId);
      view.note(`shard ${shard.shardId}: gateway unreachable (connection closed before Hello); retrying with backoff, no identify spent`);
    }
    if (shard.status === 'ready' || shard.status === 'resumed') outage.delete(shard.shardId);
    r.unreachable = unreachable;
  }
  lastEvents = new Map(stats.shards.map((s) => [s.shardId, s.events]));
  view.render([...rows.values()], header());
};
const ticker = setInterval(() => void refresh(), TICK_MS);

const waitUntil = async (condition: () => boolean, ms: number) => {
  const deadline = performance.now() + ms;
  while (!condition() && !stopping && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
};
const elapsed = () => performance.now() - startedAt;

await main.ready.catch((error: Error) => view.note(`the main cluster did not get ready: ${error.message}`));
let resharded: ReshardReply | null = null;
let markersSent: readonly string[] = [];
if (gw) {
  const traffic = gw.stream('all', { rate: 1_500, mix: 'realistic' });
  // Unique marker messages in the guilds of the main cluster's shards (shard 8 of 9 is the fatal demo's).
  const markers = gw.markerTraffic({ rate: 200, guilds: mainShards.flatMap((id) => gw.guildsOf(id, totalShards).map((g) => g.id)) });
  const readyAt = elapsed();
  const faults: Array<[number, string, () => void]> = [
    [0.1, 'dropping shard 1 without a close frame', () => gw.drop(1)],
    [0.17, 'sending op 7 (reconnect) to shard 3', () => gw.reconnect(3)],
    [0.24, 'shard 5 turns zombie (no more heartbeat ACKs)', () => gw.zombie(5, true)],
    [
      0.3,
      'an outage: the gateway refuses new connections (closed before Hello) for 1.5 s, and shard 7 is dropped into it',
      () => {
        const outage = gw.refuseConnections();
        gw.drop(7);
        setTimeout(() => outage.end(), 1_500);
      },
    ],
  ];
  for (const [at, what, inject] of faults) {
    await waitUntil(() => false, Math.max(0, readyAt + at * DURATION_MS - elapsed()));
    if (stopping) break;
    view.note(`fault: ${what}`);
    inject();
  }
  // Midway, once the faults are behind: a live reshard while both kinds of traffic flow.
  await waitUntil(() => false, Math.max(0, 0.45 * DURATION_MS - elapsed()));
  await waitUntil(() => [...rows.values()].reduce((sum, r) => sum + r.resumes, 0) >= faults.length, 10_000);
  if (!stopping) {
    view.note(`resharding the main cluster in place: ${mainShards.length} → ${DEMO_RESHARD_TO} shards while traffic flows`);
    resharded = await main.reshard({ totalShards: DEMO_RESHARD_TO, shardIds: Array.from({ length: DEMO_RESHARD_TO }, (_, i) => i) }).catch((error: Error) => {
      view.note(`the reshard failed, the ${mainShards.length} shards run on: ${error.message}`);
      return null;
    });
  }
  await waitUntil(() => false, Math.max(1_000, 0.85 * DURATION_MS - elapsed()));
  traffic.stop();
  markers.stop();
  markersSent = markers.markers;
  view.note(`traffic stopped after ${traffic.sent} events and ${markersSent.length} markers; waiting for every shard to catch up`);
  // One last message through each shard: once it arrived, so has every marker before it.
  const layout = resharded?.to ?? { totalShards, shardIds: mainShards };
  for (const id of layout.shardIds) gw.dispatchMessage(gw.guildsOf(id, layout.totalShards)[0]!.id, `fence-${id}`);
  await waitUntil(() => layout.shardIds.every((id) => markerCounts.has(`fence-${id}`)), 10_000);
  const inSync = async () => {
    const stats = await main.stats().catch(() => null);
    return stats !== null && stats.shards.every((s) => gw.sessions.some((session) => session.shardId === s.shardId && session.live && session.seq === s.seq));
  };
  let synced = false;
  const syncDeadline = performance.now() + 10_000;
  while (!synced && performance.now() < syncDeadline) {
    synced = await inSync();
    if (!synced) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  view.note(synced ? 'every shard has received every event the emulator sent: no loss, no repeat' : 'some shards did not catch up in time');
} else {
  await waitUntil(() => false, DURATION_MS - elapsed());
}

clearInterval(ticker);
await refresh();
const final = [...rows.values()].map((r) => ({ ...r, eventsPerSecond: Math.round((r.events * 1000) / elapsed()) }));
// after Ctrl-C the cluster process stopped on its own SIGINT: its sessions came in `sessions-kept`
const sessions = await main.shutdown({ keepSessions: true }).catch(() => main.sessions);
await fatalDemo?.shutdown().catch(() => []);
await Promise.all([main.exited, fatalDemo?.exited]);
await metrics?.close();
const brokerStats = broker?.publisher.stats();
await broker?.close();
view.done();

const all = final;
const delivered = all.reduce((sum, r) => sum + r.events, 0);
console.log(`\nSummary (${((performance.now() - startedAt) / 1000).toFixed(1)} s; status before shutdown, ev/s averaged over the run)\n${summaryTable(all)}`);
console.log(`\n  events delivered to the cluster: ${delivered}`);
console.log(
  `  resumes: ${all.reduce((s, r) => s + r.resumes, 0)}, identifies: ${all.reduce((s, r) => s + r.identifies, 0)}, reconnects after the gateway was unreachable: ${all.reduce((s, r) => s + r.unreachable, 0)}`,
);
console.log(`  fatal shards: ${all.filter((r) => r.status === 'fatal').map((r) => r.label).join(', ') || 'none'}`);
console.log(`  sessions kept for a restart: ${sessions.length}`);
if (brokerStats) console.log(`  broker: ${brokerStats.published} published to Redis Streams (discluster-demo:<event>), ${brokerStats.dropped} dropped, ${brokerStats.rejected} rejected, ${brokerStats.batches} batches`);
if (resharded) {
  const r = resharded;
  console.log(
    `  reshard ${r.from.shardIds.length} → ${r.to.shardIds.length} shards while traffic flowed: ${r.identifies} identifies spent, ${Math.round(r.elapsedMs)} ms in all, ` +
      `handover ${r.handoffMs.toFixed(1)} ms after the last new READY, ${r.duplicatesSuppressed} events seen by both sets emitted once`,
  );
}
if (markersSent.length > 0) {
  const twice = markersSent.filter((m) => (markerCounts.get(m) ?? 0) > 1).length;
  const lost = markersSent.filter((m) => !markerCounts.has(m)).length;
  console.log(
    twice === 0 && lost === 0
      ? `  markers: ${markersSent.length} sent, every one arrived exactly once (0 twice, 0 lost)`
      : `  markers: ${markersSent.length} sent, ${twice} arrived more than once, ${lost} lost`,
  );
  const relost = all.filter((r) => r.identifies > 1 && !r.label.includes('fatal')).length;
  if (lost > 0 && relost > 0) console.log(`  (${relost} shard(s) lost their session and identified again, e.g. a heartbeat timeout on a loaded machine: what the gateway sent those sessions meanwhile is gone, as on Discord)`);
}
if (gw) {
  const unexpected = gw.violations.filter((v) => v.rule !== 'disallowed-intents');
  console.log(`  emulator rule violations: ${unexpected.length === 0 ? 'none' : unexpected.map((v) => v.rule).join(', ')} (besides the fatal demo's disallowed intents)`);
  await gw.close();
}
process.exit(0);
