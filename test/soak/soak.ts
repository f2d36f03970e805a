import { createCluster } from '../../src/cluster/cluster.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';
import { createEmulator } from '../../src/testing/index.js';
import { FAULT_NAMES, FAULTS, type FaultName, seededRandom } from './faults.js';

/** Options of one soak run. */
export interface SoakOptions {
  readonly seed: number;
  readonly shards?: number;
  /** Dispatches to deliver in all. */
  readonly dispatches: number;
  /** Mean number of dispatches between two faults. */
  readonly faultEvery: number;
  readonly heartbeatInterval?: number;
}

/** What a soak run found. */
export interface SoakReport {
  readonly seed: number;
  readonly shards: number;
  readonly faults: Record<string, number>;
  /** Dispatches the emulator sent into a session. */
  readonly sent: number;
  /** Dispatches checked on `dispatch$`. */
  readonly checked: number;
  /** Dispatches of sessions that ended without a resume, each reported by a `session-lost` event. */
  readonly lostReported: number;
  /** Dispatches missing with no `session-lost` to account for them: must be 0. */
  readonly lostSilently: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  readonly sessionsLost: number;
  /** Sequences the lost sessions spanned after the last one received (emulator's count): ≥ lostReported. */
  readonly reportedGap: number;
  /**
   * For a failure to explain itself: each gap the client saw, `[shardId, last n before, first n
   * after, session-lost reports pending]`, and each lost session, `[shardId, lastSeq, the
   * emulator's final seq or null]`, at most 40 of each.
   */
  readonly gaps: readonly (readonly number[])[];
  readonly lost: readonly (readonly (number | null)[])[];
  readonly identifies: number;
  readonly resumes: number;
  /** Rule breaks the emulator saw (4008, identify buckets, …): must be empty. */
  readonly violations: readonly string[];
  /** Places the token appeared in what the cluster emitted or the emulator recorded: must be 0. */
  readonly tokenLeaks: number;
  readonly durationMs: number;
}

const TOKEN = 'soak-token-5f1e2d3c4b5a6978';

/**
 * Runs 16 shards (by default) against the emulator under a stream of dispatches and seeded
 * random faults, and checks every shard's dispatches: in order, none repeated, and none
 * missing unless a `session-lost` event reported the session they belonged to.
 */
export const runSoak = async (options: SoakOptions): Promise<SoakReport> => {
  const started = performance.now();
  const shards = options.shards ?? 16;
  const random = seededRandom(options.seed);
  const int = (n: number) => Math.floor(random() * n);
  const heartbeatInterval = options.heartbeatInterval ?? 400;
  const gw = await createEmulator({ token: TOKEN, shards, maxConcurrency: shards, identifyWindowMs: 100, heartbeatInterval, sessionBufferSize: 100_000, reconnectGraceMs: 1000 });
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: Array.from({ length: shards }, (_, i) => i),
    totalShards: shards,
    gateway: { url: gw.url, maxConcurrency: shards },
    // a short window with a margin for an emulator sharing the loaded process, and a wait after
    // op 9 shorter than Discord's 1–5 s, so that a soak with many faults stays quick
    timing: { identifyWindowMs: 100, identifyMarginMs: 25, helloTimeoutMs: 3000, readyTimeoutMs: 5000, backoff: { initialMs: 20, maxMs: 300 }, invalidSessionWaitMs: { min: 50, max: 250 } },
  });
  const log: string[] = [];
  const faults: Record<string, number> = {};
  const next = new Array<number>(shards).fill(0);
  const last = new Array<number>(shards).fill(-1);
  const lostPending = new Array<number>(shards).fill(0);
  let sent = 0;
  let checked = 0;
  let lostReported = 0;
  let lostSilently = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let sessionsLost = 0;
  const lostSessions = new Map<string, number>();
  const lostShard = new Map<string, number>();
  const gaps: number[][] = [];

  cluster.lifecycle$.subscribe((event) => {
    log.push(JSON.stringify(event));
    if (event.type === 'session-lost') {
      sessionsLost++;
      lostPending[event.shardId]!++;
      lostSessions.set(event.sessionId, event.lastSeq);
      lostShard.set(event.sessionId, event.shardId);
    }
  });
  cluster.dispatch$.subscribe((event: ShardDispatchEvent) => {
    if (event.t !== 'MESSAGE_CREATE') return;
    const { shardId } = event;
    const n = (event.d as { n: number }).n;
    checked++;
    const previous = last[shardId]!;
    if (n === previous + 1) last[shardId] = n;
    else if (n <= previous) (n === previous ? duplicated++ : outOfOrder++);
    else {
      // a gap: only allowed when a session of this shard was reported lost since the last one
      if (gaps.length < 40) gaps.push([shardId, previous, n, lostPending[shardId]!]);
      if (lostPending[shardId]! > 0) lostReported += n - previous - 1;
      else lostSilently += n - previous - 1;
      last[shardId] = n;
    }
    lostPending[shardId] = 0;
  });

  // A run that fails still ends the cluster and the emulator: left open, their sockets and timers
  // kept ava's worker alive ("Failed to exit") after the failure itself.
  try {
    await cluster.connect();
    const ready = () => cluster.statuses().filter((s) => s.status === 'ready' || s.status === 'resumed').map((s) => s.shardId);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    // Faults come at fixed points of the traffic (counted in attempts, not in dispatches that found
    // a session), on shards drawn from the seed: the same seed replays the same faults in order.
    let attempts = 0;
    let nextFault = options.faultEvery / 2 + int(options.faultEvery);
    const waitUp = async (shardId: number) => {
      const until = performance.now() + 10_000;
      while (!ready().includes(shardId) && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    };

    while (sent < options.dispatches) {
      for (let i = 0; i < 200 && sent < options.dispatches; i++) {
        const shardId = int(shards);
        attempts++;
        try {
          gw.dispatch(shardId, 'MESSAGE_CREATE', { n: next[shardId], content: 'soak' });
          next[shardId]!++;
          sent++;
        } catch {
          // no session on that shard right now (it is re-identifying): nothing was sent
        }
      }
      if (attempts >= nextFault) {
        nextFault += options.faultEvery / 2 + int(options.faultEvery);
        const name: FaultName = FAULT_NAMES[int(FAULT_NAMES.length)]!;
        const shardId = int(shards);
        await waitUp(shardId);
        FAULTS[name](gw, shardId);
        faults[name] = (faults[name] ?? 0) + 1;
      }
      while (sent - checked - lostReported > 5_000) await tick();
      await tick();
    }

    // Drain: a marker per shard, sent once the shard is up again, so every gap ends in a jump.
    const deadline = performance.now() + 30_000;
    for (let shardId = 0; shardId < shards; shardId++) {
      for (;;) {
        if (performance.now() > deadline) throw new Error(`soak seed ${options.seed}: shard ${shardId} did not come back within 30 s`);
        // Up on both ends: the client says READY and the emulator's newest session of the shard has a
        // connection. The client hears of a close a moment after the emulator made it; a marker sent
        // in that moment would go into the session just ended and never arrive.
        if (ready().includes(shardId) && gw.sessions.filter((s) => s.shardId === shardId).at(-1)?.live === true) {
          try {
            gw.dispatch(shardId, 'MESSAGE_CREATE', { n: next[shardId], content: 'marker' });
            next[shardId]!++;
            sent++;
            break;
          } catch {
            // not yet
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const missing = () => last.flatMap((n, shardId) => (n < next[shardId]! - 1 ? [shardId] : []));
    // what each side knew of the shards still missing dispatches, for the failure message
    const stateOf = (shardIds: number[]) =>
      JSON.stringify({
        client: cluster.statuses().filter((s) => shardIds.includes(s.shardId)),
        emulator: gw.sessions.filter((s) => shardIds.includes(s.shardId)),
        connections: gw.connections.filter((c) => c.shardId !== undefined && shardIds.includes(c.shardId)),
      }).slice(0, 4000);
    while (missing().length > 0) {
      if (performance.now() > deadline) throw new Error(`soak seed ${options.seed}: dispatches still missing after 30 s: ${last.join(',')} vs ${next.join(',')}; ${stateOf(missing())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (error) {
    await cluster.shutdown().catch(() => []);
    await gw.close();
    throw error;
  }

  await cluster.shutdown();
  const records = gw.records;
  const identifies = records.filter((r) => r.kind === 'frame' && r.op === 2).length;
  const resumes = records.filter((r) => r.kind === 'frame' && r.op === 6).length;
  // Where each lost session ended on the emulator's side: deleted (op 9 false, a session-ending
  // close), or still resumable there when the shard gave up on it (resumes that kept failing).
  const finalSeq = new Map<string, number>(gw.sessions.map((session) => [session.id, session.seq]));
  for (const record of records) {
    if (record.kind === 'session' && (record.event === 'invalidated' || record.event === 'expired')) finalSeq.set(record.sessionId, record.seq);
  }
  let reportedGap = 0;
  for (const [sessionId, lastSeq] of lostSessions) reportedGap += (finalSeq.get(sessionId) ?? lastSeq) - lastSeq;
  const violations = gw.violations.map((v) => `${v.rule} (shard ${v.shardId}): ${v.detail}`);
  const everything = log.join('\n') + JSON.stringify(records) + JSON.stringify(cluster.statuses());
  const tokenLeaks = everything.split(TOKEN).length - 1;
  await gw.close();
  return {
    seed: options.seed,
    shards,
    faults,
    sent,
    checked,
    lostReported,
    lostSilently,
    duplicated,
    outOfOrder,
    sessionsLost,
    reportedGap,
    gaps,
    lost: [...lostSessions].slice(0, 40).map(([sessionId, lastSeq]) => [lostShard.get(sessionId)!, lastSeq, finalSeq.get(sessionId) ?? null]),
    identifies,
    resumes,
    violations,
    tokenLeaks,
    durationMs: Math.round(performance.now() - started),
  };
};

/** True when the run found nothing wrong. */
export const soakPassed = (report: SoakReport): boolean =>
  report.lostReported <= report.reportedGap &&
  report.lostSilently === 0 && report.duplicated === 0 && report.outOfOrder === 0 && report.violations.length === 0 && report.tokenLeaks === 0;
