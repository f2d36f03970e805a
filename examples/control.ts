/**
 * A minimal CONTROL: two clusters in child processes sharing identify buckets, a supervisor that
 * restarts a cluster that dies, and a rolling restart that keeps every session (no identify).
 *
 *   npx tsx examples/control.ts                  # on an embedded emulator, ~10 s
 */
import { createMemoryIdentifyQueue, fetchGatewayBot, gatewayOptions, spawnCluster, type ClusterHandle, type SessionSnapshot } from '@discluster/cluster';
import { createEmulator } from '@discluster/cluster/testing';

const WINDOW_MS = 300;
const gw = await createEmulator({ shards: 4, maxConcurrency: 2, identifyWindowMs: WINDOW_MS, heartbeatInterval: 1_000, guilds: 8 });
// GET /gateway/bot, as on Discord (without apiBase it asks discord.com); failures are clear DisclusterErrors
const gateway = gatewayOptions(await fetchGatewayBot({ token: 'emulator-token', apiBase: gw.httpUrl }));
const count = (op: number) => gw.records.filter((r) => r.kind === 'frame' && r.op === op).length;

// One queue for every cluster this CONTROL runs: Discord's buckets are global to the bot.
const identifyQueue = createMemoryIdentifyQueue({ maxConcurrency: gateway.maxConcurrency, windowMs: WINDOW_MS, safetyMarginMs: 30, sessionStartLimit: gateway.sessionStartLimit });
const plan: Record<string, number[]> = { a: [0, 1], b: [2, 3] };
const clusters = new Map<string, ClusterHandle>();
const retiring = new Set<ClusterHandle>();
let stopping = false;

/** Starts a cluster and restarts it if it dies unexpectedly. */
const supervise = (name: string, sessions?: SessionSnapshot[]): ClusterHandle => {
  const cluster = spawnCluster({
    mode: 'process',
    clusterId: name,
    shardIds: plan[name]!,
    totalShards: 4,
    token: 'emulator-token',
    intents: 1 | (1 << 9),
    gateway,
    timing: { identifyWindowMs: WINDOW_MS, backoff: { initialMs: 100, maxMs: 1_000 } },
    identifyQueue,
    ...(sessions ? { sessions } : {}),
  });
  cluster.messages$.subscribe((m) => m.type === 'fatal' && console.log(`cluster ${name}: shard ${m.shardId} fatal ${m.code} (${m.kind})`));
  void cluster.exited.then((code) => {
    if (stopping || retiring.has(cluster)) return;
    console.log(`cluster ${name} died (exit ${code}); restarting it`);
    clusters.set(name, supervise(name));
  });
  clusters.set(name, cluster);
  return cluster;
};

const allReady = () => Promise.all([...clusters.values()].map((c) => c.ready));

supervise('a');
supervise('b');
await allReady();
console.log(`both clusters ready: ${count(2)} identifies`);

// A crash: the supervisor notices the exit and starts the cluster again.
const crashed = clusters.get('a')!;
crashed.kill();
await crashed.exited;
await clusters.get('a')!.ready;
console.log(`cluster a is back after a crash: ${count(2)} identifies in all`);

// A rolling restart, one cluster at a time: shut down keeping sessions, start again from them.
const identifiesBefore = count(2);
const resumesBefore = count(6);
for (const name of Object.keys(plan)) {
  const old = clusters.get(name)!;
  retiring.add(old);
  const sessions = await old.shutdown({ keepSessions: true });
  await old.exited;
  const next = supervise(name, sessions);
  const ready = await next.ready;
  console.log(`cluster ${name} restarted from ${sessions.length} kept sessions: ${ready.shardIds.length} shards up`);
}
console.log(`rolling restart: ${count(2) - identifiesBefore} identifies, ${count(6) - resumesBefore} resumes`);

stopping = true;
await Promise.all([...clusters.values()].map((c) => c.shutdown()));
await Promise.all([...clusters.values()].map((c) => c.exited));
console.log(`identify bucket violations: ${gw.violations.filter((v) => v.rule === 'identify-rate-limit').length}`);
await gw.close();
