/**
 * `npm start`: the whole system at work. A small CONTROL forks a cluster process over the IPC
 * protocol and shows its shards connecting, their traffic and latency; on the embedded emulator
 * it also injects faults (a dropped connection, an op 7, a zombie) and one fatal on a separate,
 * labelled demo shard. With DISCORD_TOKEN it connects to real Discord the same way.
 */
import { spawnCluster, type ClusterHandle } from '../control/index.js';
import { fetchGatewayBot } from '../rest/gateway-bot.js';
import { createMemoryIdentifyQueue } from '../shard/identify-queue.js';
import { DEMO_SHARDS, resolveTarget } from './target.js';
import { createView, type ShardRow, summaryTable } from './view.js';
import { metricsPort, serveMetrics } from './metrics-server.js';

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

const rows = new Map<number, ShardRow>();
const row = (shardId: number, label = `shard ${shardId}`): ShardRow => {
  let r = rows.get(shardId);
  if (!r) rows.set(shardId, (r = { shardId, label, status: 'starting', events: 0, eventsPerSecond: 0, latencyMs: null, resumes: 0, identifies: 0 }));
  return r;
};
for (const id of mainShards) row(id);

const startedAt = performance.now();
const main = spawnCluster({ ...common, clusterId: 'main', shardIds: mainShards, intents: target.intents });
const fatalDemo = gw ? spawnCluster({ ...common, clusterId: 'fatal-demo', shardIds: [8], intents: target.intents | (1 << 8) }) : null;
if (fatalDemo) row(8, 'shard 8 (fatal demo)');
// METRICS_PORT: Prometheus metrics of both clusters, read from their stats replies (see the README's Metrics)
const metrics = metricsAt === undefined ? null : await serveMetrics(metricsAt, () => (fatalDemo ? [main, fatalDemo] : [main]), identifyQueue).catch(exitWith);
if (metrics) view.note(`metrics: ${metrics.url}`);

const follow = (cluster: ClusterHandle, name: string) =>
  cluster.messages$.subscribe((message) => {
    if (message.type === 'shard-status') {
      const r = row(message.shardId);
      if (r.status !== 'fatal') r.status = message.status;
      if (message.status === 'identifying') r.identifies++;
      if (message.status === 'resumed') {
        r.resumes++;
        view.note(`shard ${message.shardId} resumed`);
      }
      if (message.status === 'reconnecting') view.note(`shard ${message.shardId} reconnecting${message.code ? ` (close ${message.code})` : ''}`);
    } else if (message.type === 'ready') {
      view.note(`cluster ${name}: ${message.shardIds.length} shard(s) ready in ${Math.round(message.elapsedMs)} ms${message.failed.length ? `, ${message.failed.length} failed` : ''}`);
    } else if (message.type === 'fatal') {
      row(message.shardId).status = 'fatal';
      view.note(`FATAL reached CONTROL from cluster ${name}: shard ${message.shardId}, code ${message.code} (${message.kind}): ${message.reason}`);
    }
  });
follow(main, 'main');
if (fatalDemo) follow(fatalDemo, 'fatal-demo');

let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
  view.note('Ctrl-C: shutting down');
});

const header = () => `Discluster demo — ${target.kind} — ${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
let lastEvents = new Map<number, number>();
const refresh = async () => {
  const stats = await main.stats().catch(() => null);
  if (!stats) return;
  for (const shard of stats.shards) {
    const r = row(shard.shardId);
    r.eventsPerSecond = Math.round(((shard.events - (lastEvents.get(shard.shardId) ?? 0)) * 1000) / TICK_MS);
    r.events = shard.events;
    r.latencyMs = shard.latencyMs;
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
if (gw) {
  const traffic = gw.stream('all', { rate: 1_500, mix: 'realistic' });
  const faults: Array<[number, string, () => void]> = [
    [0.35, 'dropping shard 1 without a close frame', () => gw.drop(1)],
    [0.5, 'sending op 7 (reconnect) to shard 3', () => gw.reconnect(3)],
    [0.62, 'shard 5 turns zombie (no more heartbeat ACKs)', () => gw.zombie(5, true)],
  ];
  for (const [at, what, inject] of faults) {
    await waitUntil(() => false, Math.max(0, at * DURATION_MS - elapsed()));
    if (stopping) break;
    view.note(`fault: ${what}`);
    inject();
  }
  await waitUntil(() => false, Math.max(0, 0.85 * DURATION_MS - elapsed()));
  traffic.stop();
  view.note(`traffic stopped after ${traffic.sent} events; waiting for every shard to catch up`);
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
const sessions = await main.shutdown({ keepSessions: true }).catch(() => []);
await fatalDemo?.shutdown().catch(() => []);
await Promise.all([main.exited, fatalDemo?.exited]);
await metrics?.close();
view.done();

const all = final;
const delivered = all.reduce((sum, r) => sum + r.events, 0);
console.log(`\nSummary (${((performance.now() - startedAt) / 1000).toFixed(1)} s; status before shutdown, ev/s averaged over the run)\n${summaryTable(all)}`);
console.log(`\n  events delivered to the cluster: ${delivered}`);
console.log(`  resumes: ${all.reduce((s, r) => s + r.resumes, 0)}, identifies: ${all.reduce((s, r) => s + r.identifies, 0)}`);
console.log(`  fatal shards: ${all.filter((r) => r.status === 'fatal').map((r) => r.label).join(', ') || 'none'}`);
console.log(`  sessions kept for a restart: ${sessions.length}`);
if (gw) {
  const unexpected = gw.violations.filter((v) => v.rule !== 'disallowed-intents');
  console.log(`  emulator rule violations: ${unexpected.length === 0 ? 'none' : unexpected.map((v) => v.rule).join(', ')} (besides the fatal demo's disallowed intents)`);
  await gw.close();
}
process.exit(0);
