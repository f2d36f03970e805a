/**
 * A minimal CONTROL: two clusters in child processes sharing identify buckets, a supervisor that
 * restarts a cluster that dies, a rolling restart that keeps every session (no identify), and a
 * stop by signal that keeps them too.
 *
 *   npx tsx examples/control.ts                  # on an embedded emulator, ~10 s
 *   npx tsx examples/control.ts --serve --api http://127.0.0.1:PORT [--sessions FILE]
 *       # runs on that gateway (an emulator you run, as test/examples/control-signals.test.ts
 *       # does) until SIGTERM or Ctrl-C: every cluster stops keeping its sessions, they are
 *       # written to FILE (default control-sessions.json), and the next start resumes from them.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  createMemoryIdentifyQueue,
  fetchGatewayBot,
  gatewayOptions,
  handleStopSignals,
  spawnCluster,
  STOP_DEADLINE_MS,
  type ClusterHandle,
  type SessionSnapshot,
} from '@discluster/cluster';
import { createEmulator } from '@discluster/cluster/testing';
import { filter, firstValueFrom, Subject } from 'rxjs';

const { values: args } = parseArgs({ options: { serve: { type: 'boolean' }, api: { type: 'string' }, sessions: { type: 'string' } } });
const WINDOW_MS = 300;
const TOKEN = 'emulator-token';
const gw = args.api === undefined ? await createEmulator({ shards: 4, maxConcurrency: 2, identifyWindowMs: WINDOW_MS, heartbeatInterval: 1_000, guilds: 8 }) : null;
// GET /gateway/bot, as on Discord (without apiBase it asks discord.com); failures are clear DisclusterErrors
const gateway = gatewayOptions(await fetchGatewayBot({ token: TOKEN, apiBase: args.api ?? gw!.httpUrl }));
const count = (op: number) => gw?.records.filter((r) => r.kind === 'frame' && r.op === op).length ?? 0;

// One queue for every cluster this CONTROL runs: Discord's buckets are global to the bot.
const identifyQueue = createMemoryIdentifyQueue({ maxConcurrency: gateway.maxConcurrency, windowMs: WINDOW_MS, safetyMarginMs: 30, sessionStartLimit: gateway.sessionStartLimit });
const plan: Record<string, number[]> = { a: [0, 1], b: [2, 3] };
const clusters = new Map<string, ClusterHandle>();
const retiring = new Set<ClusterHandle>();
const started = { identifying: 0, resuming: 0 };
/** The name of each cluster the supervisor restarted. */
const restarted$ = new Subject<string>();
let stopping = false;

/** Starts a cluster and restarts it if it dies unexpectedly, from the sessions it kept (none after a crash). */
const supervise = (name: string, sessions?: SessionSnapshot[]): ClusterHandle => {
  const cluster = spawnCluster({
    mode: 'process',
    clusterId: name,
    shardIds: plan[name]!,
    totalShards: 4,
    token: TOKEN,
    intents: 1 | (1 << 9),
    gateway,
    timing: { identifyWindowMs: WINDOW_MS, backoff: { initialMs: 100, maxMs: 1_000 } },
    // a cluster stopped by a signal exits by this deadline; CONTROL's own is longer, so it outlives them
    stopDeadlineMs: STOP_DEADLINE_MS,
    identifyQueue,
    ...(sessions?.length ? { sessions } : {}),
  });
  cluster.messages$.subscribe((m) => {
    if (m.type === 'fatal') console.log(`cluster ${name}: shard ${m.shardId} fatal ${m.code} (${m.kind})`);
    if (m.type === 'shard-status' && (m.status === 'identifying' || m.status === 'resuming')) started[m.status]++;
  });
  void cluster.exited.then(async (code) => {
    if (stopping || retiring.has(cluster)) return;
    const kept = await cluster.sessions;
    console.log(`cluster ${name} died (exit ${code}); restarting it${kept.length ? ` from ${kept.length} kept sessions` : ''}`);
    supervise(name, kept);
    restarted$.next(name);
  });
  clusters.set(name, cluster);
  return cluster;
};

const allReady = () => Promise.all([...clusters.values()].map((c) => c.ready));

if (args.serve) {
  // Until a signal: the sessions a previous run kept are used once, then the file is gone.
  const file = args.sessions ?? 'control-sessions.json';
  const saved = await readFile(file, 'utf8').then((text) => JSON.parse(text) as SessionSnapshot[], () => []);
  await rm(file, { force: true });
  // SIGTERM (docker stop, systemd, a deploy) or Ctrl-C (SIGINT to the whole process group: the
  // clusters get it too and stop on their own; the shutdown asked here then gets the same answer).
  handleStopSignals({
    name: 'control',
    deadlineMs: STOP_DEADLINE_MS + 1_500,
    stop: async (signal) => {
      stopping = true;
      const stops = [...clusters.values()].map(async (cluster) => {
        cluster.shutdown({ keepSessions: true }).catch(() => {}); // it may have exited on its own signal already
        return cluster.sessions;
      });
      const kept = (await Promise.all(stops)).flat();
      await writeFile(file, JSON.stringify(kept));
      console.log(`${signal}: ${kept.length} sessions written to ${file}`);
    },
  });
  for (const name of Object.keys(plan)) supervise(name, saved.filter((s) => plan[name]!.includes(s.shardId)));
  // (a signal during the start stops it too: then a cluster's `ready` rejects as it exits)
  await allReady().then(
    () => console.log(`clusters ready: ${started.identifying} shards identified, ${started.resuming} resumed`),
    () => {},
  );
} else {
  supervise('a');
  supervise('b');
  await allReady();
  console.log(`both clusters ready: ${count(2)} identifies`);

  // A crash: the supervisor notices the exit and starts the cluster again.
  const crashed = clusters.get('a')!;
  const back = firstValueFrom(restarted$.pipe(filter((name) => name === 'a')));
  crashed.kill();
  await back;
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
  console.log(`identify bucket violations: ${gw!.violations.filter((v) => v.rule === 'identify-rate-limit').length}`);
  await gw!.close();
}
