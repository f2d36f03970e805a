/**
 * `DEMO_FLEET=1 npm start`: a fleet reshard at work. CONTROL forks three cluster processes
 * (shards 0–1, 2–3 and 4–5 of 6) on the embedded emulator; while traffic and unique marker
 * messages flow on every guild, it grows the fleet to 9 shards as one operation
 * (`planFleetReshard` + `reshardFleet`): every cluster prepares its new shards, all switch past a
 * barrier, the old ones retire. Guilds that change cluster are judged by CONTROL's handover
 * ledger. The summary shows the reshard's figures and counts every marker across the three
 * clusters (0 repeated, 0 lost). Emulator only: with DISCORD_TOKEN set it refuses.
 */
import { type ClusterHandle, type FleetReshardReport, reshardFleet, spawnCluster } from '../control/index.js';
import { DisclusterError } from '../gateway/errors.js';
import { planFleetReshard, type FleetLayout } from '../reshard/fleet-plan.js';
import { fetchGatewayBot } from '../rest/gateway-bot.js';
import { createMemoryIdentifyQueue } from '../shard/identify-queue.js';
import { newShardLabel, retiredShardLabel } from './shard-labels.js';
import { resolveTarget } from './target.js';
import { createView, type ShardRow, summaryTable } from './view.js';

/** The fleet before the reshard: three clusters of two shards each. */
export const FLEET_FROM: FleetLayout = { totalShards: 6, clusters: { a: [0, 1], b: [2, 3], c: [4, 5] } };
/** The shard count the fleet grows to (not a multiple of 6: most guilds' new shard runs in another cluster). */
export const FLEET_TO_SHARDS = 9;
const TICK_MS = 250;
/** How long a copy can trail its twin from the other layout, and how long CONTROL's ledger remembers a key. */
const MATCH_WINDOW_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the fleet demo; resolves with the exit code (0: every marker arrived exactly once). */
export const runFleetDemo = async (env: NodeJS.ProcessEnv): Promise<number> => {
  const durationMs = Math.max(8, Number(env.DEMO_SECONDS ?? 30)) * 1000;
  const target = await resolveTarget(env);
  const gw = target.emulator;
  if (gw === null) throw new DisclusterError('INVALID_OPTIONS', 'DEMO_FLEET runs on the embedded emulator only (it reshards the bot): unset DISCORD_TOKEN');
  const bot = await fetchGatewayBot({ token: target.token, apiBase: target.apiBase });
  const limit = bot.sessionStartLimit;
  const view = createView(process.stdout.isTTY === true);
  view.note(`embedded gateway emulator: ${bot.url}, max_concurrency ${limit.maxConcurrency}, ${limit.remaining}/${limit.total} identifies left`);

  // CONTROL keeps the identify buckets of the whole fleet: one queue, shared by the three clusters.
  const identifyQueue = createMemoryIdentifyQueue({
    maxConcurrency: limit.maxConcurrency,
    windowMs: target.identifyWindowMs,
    safetyMarginMs: target.identifyMarginMs,
    sessionStartLimit: { total: limit.total, remaining: limit.remaining, resetAfter: limit.resetAfter },
  });

  const rows = new Map<string, ShardRow>();
  const layoutOf = new Map<string, number>(); // each cluster's running shard count
  const handingOver = new Set<string>();
  const row = (clusterId: string, shardId: number, total: number, label = `${clusterId} · shard ${shardId} of ${total}`): ShardRow => {
    const key = `${total}:${shardId}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { shardId, label, status: 'starting', events: 0, eventsPerSecond: 0, latencyMs: null, resumes: 0, identifies: 0, unreachable: 0 }));
    return r;
  };
  const markerCounts = new Map<string, number>();
  const ledgerNotes: string[] = [];

  const clusters: Record<string, ClusterHandle> = {};
  for (const [clusterId, shardIds] of Object.entries(FLEET_FROM.clusters)) {
    layoutOf.set(clusterId, FLEET_FROM.totalShards);
    for (const id of shardIds) row(clusterId, id, FLEET_FROM.totalShards);
    const cluster = spawnCluster({
      mode: 'process',
      clusterId,
      shardIds: [...shardIds],
      totalShards: FLEET_FROM.totalShards,
      token: target.token,
      intents: target.intents,
      gateway: { url: bot.url, maxConcurrency: limit.maxConcurrency },
      timing: { identifyWindowMs: target.identifyWindowMs, identifyMarginMs: target.identifyMarginMs, backoff: { initialMs: 200, maxMs: 5_000 }, reshardMatchWindowMs: MATCH_WINDOW_MS },
      identify: 'control',
      identifyQueue,
      forward: { dispatches: ['MESSAGE_CREATE'] },
    });
    cluster.messages$.subscribe((m) => {
      const total = layoutOf.get(clusterId)!;
      if (m.type === 'shard-status') {
        const r = row(clusterId, m.shardId, total);
        r.status = m.status;
        if (m.status === 'identifying') r.identifies++;
        if (m.status === 'resumed') r.resumes++;
      } else if (m.type === 'ready') {
        view.note(`cluster ${clusterId}: ${m.shardIds.length} shard(s) ready in ${Math.round(m.elapsedMs)} ms`);
      } else if (m.type === 'dispatch') {
        const content = (m.d as { content?: unknown } | null)?.content;
        if (typeof content === 'string' && (content.startsWith('marker-') || content.startsWith('tail-'))) markerCounts.set(content, (markerCounts.get(content) ?? 0) + 1);
      } else if (m.type === 'reshard-status') {
        const r = row(clusterId, m.shardId, m.totalShards, `${clusterId} · ${newShardLabel(m.shardId, m.totalShards)}`);
        r.status = m.status;
        if (m.status === 'identifying') r.identifies++;
      } else if (m.type === 'reshard-progress') {
        if (m.phase !== 'preparing') view.note(`cluster ${clusterId}: reshard ${m.phase}: shards ${m.from.shardIds.join(',')} of ${m.from.totalShards} → ${m.to.shardIds.join(',')} of ${m.to.totalShards}${m.reason ? ` (${m.reason})` : ''}`);
        if (m.phase === 'handing-over') handingOver.add(clusterId);
        if (m.phase === 'done' || m.phase === 'aborted') handingOver.delete(clusterId);
        if (m.phase === 'done') {
          for (const id of m.from.shardIds) {
            const old = rows.get(`${m.from.totalShards}:${id}`);
            if (old) rows.set(`${m.from.totalShards}:${id}`, { ...old, label: `${clusterId} · ${retiredShardLabel(id, m.from.totalShards)}`, status: 'closed', eventsPerSecond: 0, latencyMs: null });
          }
          for (const id of m.to.shardIds) {
            const r = rows.get(`${m.to.totalShards}:${id}`);
            if (r) rows.set(`${m.to.totalShards}:${id}`, { ...r, label: `${clusterId} · shard ${id} of ${m.to.totalShards}` });
          }
          layoutOf.set(clusterId, m.to.totalShards);
        }
      } else if (m.type === 'reshard-ledger') {
        const line = `cluster ${clusterId}: handover ledger ${m.state} (${m.fallbacks} copies emitted without its verdict)`;
        ledgerNotes.push(line);
        view.note(line);
      } else if (m.type === 'fatal') {
        row(clusterId, m.shardId, total).status = 'fatal';
        view.note(`FATAL from cluster ${clusterId}: shard ${m.shardId}, code ${m.code}: ${m.reason}`);
      }
    });
    clusters[clusterId] = cluster;
  }

  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    view.note('Ctrl-C: shutting down');
  });
  const startedAt = performance.now();
  const elapsed = () => performance.now() - startedAt;
  const header = () => `Discluster demo — fleet reshard — ${(elapsed() / 1000).toFixed(1)} s`;
  const lastEvents = new Map<string, number>();
  const refresh = async () => {
    for (const [clusterId, cluster] of Object.entries(clusters)) {
      if (handingOver.has(clusterId)) continue; // while the sets switch, a reply may hold either: wait for 'done'
      const stats = await cluster.stats().catch(() => null);
      const total = layoutOf.get(clusterId)!;
      for (const shard of stats?.shards ?? []) {
        const key = `${total}:${shard.shardId}`;
        const r = row(clusterId, shard.shardId, total);
        r.eventsPerSecond = Math.max(0, Math.round(((shard.events - (lastEvents.get(key) ?? 0)) * 1000) / TICK_MS));
        r.events = shard.events;
        r.latencyMs = shard.latencyMs;
        lastEvents.set(key, shard.events);
      }
    }
    view.render([...rows.values()], header());
  };
  const ticker = setInterval(() => void refresh(), TICK_MS);
  const waitUntil = async (condition: () => boolean, ms: number) => {
    const deadline = performance.now() + ms;
    while (!condition() && !stopping && performance.now() < deadline) await sleep(50);
    return condition();
  };

  const readyAll = await Promise.all(Object.values(clusters).map((c) => c.ready)).then(
    () => true,
    (error: Error) => (view.note(`a cluster did not get ready: ${error.message}`), false),
  );
  const to = planFleetReshard({ from: FLEET_FROM, totalShards: FLEET_TO_SHARDS });
  let report: FleetReshardReport | null = null;
  let markersSent: readonly string[] = [];
  let eventsSent = 0;
  let caughtUp = false;
  if (readyAll) {
    const traffic = gw.stream('all', { rate: 1_000, mix: 'realistic' });
    const markers = gw.markerTraffic({ rate: 200 });
    await waitUntil(() => false, Math.max(0, 0.3 * durationMs - elapsed()));
    if (!stopping) {
      const plan = Object.entries(to.clusters).map(([id, ids]) => `${id}: ${ids.join(',')}`).join(' · ');
      view.note(`fleet reshard ${FLEET_FROM.totalShards} → ${to.totalShards} while traffic flows; plan ${plan} (${Math.round(to.movedGuildFraction * 100)} % of guilds change cluster)`);
      report = await reshardFleet(clusters, { from: FLEET_FROM, to }, { identifyQueue, onPhase: (phase) => view.note(`fleet: ${phase}`) }).catch((error: Error) => {
        view.note(`the fleet reshard failed, the old layout runs on: ${error.message}`);
        return null;
      });
    }
    await waitUntil(() => false, Math.max(1_000, 0.85 * durationMs - elapsed()));
    traffic.stop();
    markers.stop();
    await markers.done;
    markersSent = markers.markers;
    eventsSent = traffic.sent + markersSent.length;
    view.note(`traffic stopped after ${traffic.sent} events and ${markersSent.length} markers; one last message in every guild`);
    // once each guild's last message arrived, so has every marker sent before it in that guild
    const tails = gw.guilds.map((guild, i) => (gw.dispatchMessage(guild.id, `tail-${i}`), `tail-${i}`));
    caughtUp = await waitUntil(() => tails.every((tail) => markerCounts.has(tail)), 10_000);
  }

  clearInterval(ticker);
  await refresh();
  const final = [...rows.values()].map((r) => ({ ...r, eventsPerSecond: Math.round((r.events * 1000) / elapsed()) }));
  await Promise.all(Object.values(clusters).map((c) => c.shutdown().catch(() => [])));
  await Promise.all(Object.values(clusters).map((c) => c.exited));
  view.done();

  console.log(`\nSummary (${(elapsed() / 1000).toFixed(1)} s; status before shutdown, ev/s averaged over the run)\n${summaryTable(final)}`);
  console.log(`\n  events delivered to the fleet: ${final.reduce((sum, r) => sum + r.events, 0)}`);
  if (report !== null) {
    const reports = Object.values(report.clusters);
    const sum = (pick: (r: (typeof reports)[number]) => number) => reports.reduce((s, r) => s + pick(r), 0);
    const offered = sum((r) => r.ledger?.offered ?? 0);
    console.log(
      `  fleet reshard ${FLEET_FROM.totalShards} → ${to.totalShards} over ${reports.length} cluster processes while traffic flowed: ${Math.round(report.elapsedMs)} ms, ` +
        `${sum((r) => r.identifies)} identifies, guilds moved to another cluster: ${Math.round(to.movedGuildFraction * 100)} % (movedGuildFraction ${to.movedGuildFraction.toFixed(3)})`,
    );
    console.log(
      `  handover ledger (CONTROL's): ${offered} operations (${(offered / Math.max(1, eventsSent)).toFixed(2)} per event sent; only crossing guilds' events, during the reshard), ` +
        `${sum((r) => r.ledger?.suppressed ?? 0)} copies suppressed, ${sum((r) => r.ledger?.fallbacks ?? 0)} fallbacks`,
    );
  }
  for (const line of ledgerNotes) console.log(`  ${line}`);
  const repeated = markersSent.filter((m) => (markerCounts.get(m) ?? 0) > 1).length;
  const lost = markersSent.filter((m) => !markerCounts.has(m)).length;
  if (markersSent.length > 0) console.log(`  markers: ${markersSent.length} sent across the fleet, ${markersSent.length - repeated - lost} exactly once, repeated ${repeated}, lost ${lost}`);
  const unexpected = gw.violations;
  console.log(`  emulator rule violations: ${unexpected.length === 0 ? 'none' : unexpected.map((v) => v.rule).join(', ')}`);
  await gw.close();
  return report !== null && caughtUp && markersSent.length > 0 && repeated === 0 && lost === 0 && unexpected.length === 0 ? 0 : 1;
};
