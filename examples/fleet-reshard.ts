/**
 * Resharding a fleet: a CONTROL runs three clusters in child processes (shards 0–1, 2–3 and 4–5
 * of 6) and grows the bot to 9 shards as one operation while messages flow on every guild.
 * `planFleetReshard` keeps as many guilds as it can in their cluster; most still change cluster,
 * and `reshardFleet` prepares every cluster's new shards, switches them all at once past a
 * barrier, then retires the old ones. The events of guilds that cross clusters are judged by the
 * handover ledger CONTROL holds (the default of `spawnCluster`), so every message reaches the
 * fleet exactly once, whichever cluster it lands in. Exits 1 if one was repeated or lost.
 *
 *   npx tsx examples/fleet-reshard.ts            # on an embedded emulator, ~10 s
 */
import { createMemoryIdentifyQueue, planFleetReshard, reshardFleet, spawnCluster, type ClusterHandle, type FleetLayout } from '@discluster/cluster';
import { createEmulator } from '@discluster/cluster/testing';

const TOKEN = 'emulator-token';
const WINDOW_MS = 300;
const MAX_CONCURRENCY = 3;
/** How long a copy of an event can trail its twin from the other layout; also how long CONTROL's ledger remembers a key. */
const MATCH_WINDOW_MS = 1_500;

const gw = await createEmulator({ token: TOKEN, shards: 6, guilds: 45, maxConcurrency: MAX_CONCURRENCY, identifyWindowMs: WINDOW_MS, heartbeatInterval: 1_000 });
const from: FleetLayout = { totalShards: 6, clusters: { a: [0, 1], b: [2, 3], c: [4, 5] } };

// One identify queue for the whole fleet (Discord's buckets are the bot's), as in examples/control.ts.
const identifyQueue = createMemoryIdentifyQueue({ maxConcurrency: MAX_CONCURRENCY, windowMs: WINDOW_MS, safetyMarginMs: 30 });
const received = new Map<string, number>();
const clusters: Record<string, ClusterHandle> = {};
for (const [clusterId, shardIds] of Object.entries(from.clusters)) {
  const cluster = spawnCluster({
    mode: 'process',
    clusterId,
    shardIds: [...shardIds],
    totalShards: from.totalShards,
    token: TOKEN,
    intents: 1 | (1 << 9), // GUILDS | GUILD_MESSAGES
    gateway: { url: gw.url, maxConcurrency: MAX_CONCURRENCY },
    timing: { identifyWindowMs: WINDOW_MS, identifyMarginMs: 30, reshardMatchWindowMs: MATCH_WINDOW_MS },
    identifyQueue,
    // every message goes on to CONTROL, which counts the markers across the fleet
    forward: { dispatches: ['MESSAGE_CREATE'] },
  });
  cluster.messages$.subscribe((m) => {
    if (m.type === 'dispatch' && m.t === 'MESSAGE_CREATE') {
      const content = (m.d as { content: string }).content;
      received.set(content, (received.get(content) ?? 0) + 1);
    }
    if (m.type === 'reshard-progress' && (m.phase === 'prepared' || m.phase === 'done' || m.phase === 'aborted')) {
      console.log(`cluster ${clusterId}: ${m.phase} (shards ${m.to.shardIds.join(', ')} of ${m.to.totalShards})`);
    }
    if (m.type === 'fatal') console.log(`cluster ${clusterId}: shard ${m.shardId} fatal ${m.code}`);
  });
  clusters[clusterId] = cluster;
}
await Promise.all(Object.values(clusters).map((c) => c.ready));
console.log(`3 clusters ready in child processes: ${describe(from)} for ${gw.guilds.length} guilds`);

const to = planFleetReshard({ from, totalShards: 9 });
console.log(`plan 6 → 9: ${describe(to)}; ${Math.round(to.movedGuildFraction * 100)} % of guilds change cluster`);

const traffic = gw.markerTraffic({ rate: 300 });
await until(() => received.size >= 50);
const identifiesBefore = gw.acceptedIdentifies.length;
const report = await reshardFleet(clusters, { from, to }, { identifyQueue, onPhase: (phase) => console.log(`fleet: ${phase}`) }).catch((error: Error) => {
  console.log(`the fleet reshard failed, the old layout runs on: ${error.message}`);
  return null;
});
// a second of traffic on the new layout, then stop
await new Promise((resolve) => setTimeout(resolve, 1_000));
traffic.stop();
await traffic.done;

// One last message in every guild: once each arrived, so has everything sent before it in its guild.
const tails = gw.guilds.map((guild, i) => {
  gw.dispatchMessage(guild.id, `tail-${i}`);
  return `tail-${i}`;
});
const caughtUp = await until(() => tails.every((tail) => received.has(tail)), 15_000);

const sent = traffic.markers.length;
const once = traffic.markers.filter((marker) => received.get(marker) === 1).length;
const repeated = traffic.markers.filter((marker) => (received.get(marker) ?? 0) > 1).length;
const lost = sent - once - repeated;
const ledger = Object.values(report?.clusters ?? {}).reduce(
  (sum, r) => ({ offered: sum.offered + (r.ledger?.offered ?? 0), fallbacks: sum.fallbacks + (r.ledger?.fallbacks ?? 0) }),
  { offered: 0, fallbacks: 0 },
);
if (report !== null) {
  console.log(
    `resharded the fleet 6 → 9 in ${Math.round(report.elapsedMs)} ms: ${gw.acceptedIdentifies.length - identifiesBefore} identifies, ` +
      `${ledger.offered} ledger operations (${(ledger.offered / Math.max(1, sent)).toFixed(2)} per message sent), ${ledger.fallbacks} copies past the ledger`,
  );
}
console.log(`messages: ${sent} sent, ${once} received exactly once, ${repeated} repeated, ${lost} lost (across the three clusters)`);
console.log(`emulator rule violations: ${gw.violations.length}`);

await Promise.all(Object.values(clusters).map((c) => c.shutdown().catch(() => [])));
await Promise.all(Object.values(clusters).map((c) => c.exited));
await gw.close();
const ok = report !== null && caughtUp && sent > 0 && once === sent && gw.violations.length === 0;
if (!ok) console.log('FAILED: not every message arrived exactly once');
process.exit(ok ? 0 : 1);

/** `a: 0,1 · b: 2,3 · c: 4,5 of 6`. */
function describe(layout: FleetLayout): string {
  return `${Object.entries(layout.clusters)
    .map(([id, ids]) => `${id}: ${ids.join(',')}`)
    .join(' · ')} of ${layout.totalShards}`;
}

/** Resolves true once `condition` holds, false after `ms`. */
async function until(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
