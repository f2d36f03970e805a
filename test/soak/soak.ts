import { createCluster } from '../../src/cluster/cluster.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';
import { createEmulator } from '../../src/testing/index.js';
import { FAULT_NAMES, FAULTS, type FaultName, seededRandom } from './faults.js';
import { type LedgerTally, SoakLedger } from './ledger.js';

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

/** What a soak run found: the ledger's tally (every missing dispatch explained, or counted silent) and the run's own counts. */
export interface SoakReport extends LedgerTally {
  readonly seed: number;
  readonly shards: number;
  readonly faults: Record<string, number>;
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
 * missing unless a `session-lost` event reported the session they belonged to or the client never
 * knew that session (see `SoakLedger`).
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
  const ledger = new SoakLedger(shards);

  cluster.lifecycle$.subscribe((event) => {
    log.push(JSON.stringify(event));
    if (event.type === 'session' && event.session !== null) ledger.announce(event.session.sessionId);
    if (event.type === 'session-lost') ledger.lose(event.sessionId, event.lastSeq);
  });
  cluster.dispatch$.subscribe((event: ShardDispatchEvent) => {
    if (event.t === 'MESSAGE_CREATE') ledger.receive(event.shardId, (event.d as { n: number }).n);
  });
  // The session `gw.dispatch` sends into: the shard's newest.
  const newestSession = (shardId: number) => gw.sessions.filter((s) => s.shardId === shardId).at(-1);
  /** Sends the shard's next numbered dispatch; false when the shard has no session (nothing was sent). */
  const send = (shardId: number, content: string): boolean => {
    const session = newestSession(shardId);
    if (session === undefined) return false;
    const seq = gw.dispatch(shardId, 'MESSAGE_CREATE', { n: ledger.nextOf(shardId), content });
    ledger.sent(shardId, session.id, seq);
    return true;
  };

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

    let sent = 0;
    while (sent < options.dispatches) {
      for (let i = 0; i < 200 && sent < options.dispatches; i++) {
        attempts++;
        // no session on that shard right now (it is re-identifying): nothing was sent
        if (send(int(shards), 'soak')) sent++;
      }
      if (attempts >= nextFault) {
        nextFault += options.faultEvery / 2 + int(options.faultEvery);
        const name: FaultName = FAULT_NAMES[int(FAULT_NAMES.length)]!;
        const shardId = int(shards);
        await waitUp(shardId);
        FAULTS[name](gw, shardId);
        faults[name] = (faults[name] ?? 0) + 1;
      }
      while (ledger.outstanding > 5_000) await tick();
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
        if (ready().includes(shardId) && newestSession(shardId)?.live === true && send(shardId, 'marker')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    // what each side knew of the shards still missing dispatches, for the failure message
    const stateOf = (shardIds: number[]) =>
      JSON.stringify({
        client: cluster.statuses().filter((s) => shardIds.includes(s.shardId)),
        emulator: gw.sessions.filter((s) => shardIds.includes(s.shardId)),
        connections: gw.connections.filter((c) => c.shardId !== undefined && shardIds.includes(c.shardId)),
      }).slice(0, 4000);
    while (ledger.behind().length > 0) {
      if (performance.now() > deadline) throw new Error(`soak seed ${options.seed}: dispatches still missing after 30 s: shards ${ledger.behind().join(',')} behind; ${stateOf(ledger.behind())}`);
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
  const violations = gw.violations.map((v) => `${v.rule} (shard ${v.shardId}): ${v.detail}`);
  const everything = log.join('\n') + JSON.stringify(records) + JSON.stringify(cluster.statuses());
  const tokenLeaks = everything.split(TOKEN).length - 1;
  await gw.close();
  return {
    seed: options.seed,
    shards,
    faults,
    ...ledger.tally(),
    identifies,
    resumes,
    violations,
    tokenLeaks,
    durationMs: Math.round(performance.now() - started),
  };
};

/** True when the run found nothing wrong. */
export const soakPassed = (report: SoakReport): boolean =>
  report.lostSilently === 0 && report.duplicated === 0 && report.outOfOrder === 0 && report.violations.length === 0 && report.tokenLeaks === 0;
