/**
 * A fleet reshard whose Redis handover ledger stops answering for 2 s during the switch (the
 * test's own redis-server, SIGSTOP then SIGCONT): what PROTOCOL.md's "Ledger unreachable"
 * promises. The copies the ledger could not judge go out as they are (at-least-once), each one
 * counted in `fallbacks`, the outage reported by a `reshard-ledger` unreachable / reachable pair
 * on `lifecycle$`; nothing is lost, and the only markers that arrive twice are among those copies.
 */
import test, { type ExecutionContext } from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createCluster, type Cluster } from '../../src/cluster/cluster.js';
import { fleetMember } from '../../src/control/fleet-member.js';
import { reshardFleet } from '../../src/control/fleet.js';
import { type FleetReshardPlan, rawHandoverKey } from '../../src/reshard/crossing.js';
import type { HandoverLedger } from '../../src/reshard/ledger.js';
import type { ReshardLedgerEvent } from '../../src/reshard/reshard-events.js';
import { createRedisHandoverLedger, type RedisHandoverLedger } from '../../src/redis/handover-ledger.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { LEDGER_MEMORY_WINDOWS } from '../../src/reshard/timing.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';
import { createEmulator } from '../../src/testing/index.js';
import { collect, type Collected } from '../helpers/collect.js';
import { freePort, hasRedisServer, redisAnswers, sleep } from './helpers.js';
import { eventually, markerCounts } from '../helpers/markers.js';

const TOKEN = 'ledger-pause-test-token';
const WINDOW = 200;
const MARGIN = 100;
/** Longer than the pause plus the ledger's 1 s timeout: every copy judged or fallen back before the old sets close. */
const MATCH_WINDOW = 4_000;
const PAUSE_MS = 2_000;
const PLAN: FleetReshardPlan = {
  from: { totalShards: 4, clusters: { a: [0, 1], b: [2, 3] } },
  to: { totalShards: 6, clusters: { a: [0, 1, 2], b: [3, 4, 5] } },
};

/** A redis-server of this test's own (the shared one is never paused); SIGCONT and SIGKILL at the end. */
const pausableServer = async (t: ExecutionContext): Promise<{ url: string; process: ChildProcess }> => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await once(child, 'exit');
  });
  for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await sleep(50);
  return { url, process: child };
};

/** A cluster's Redis ledger, remembering the keys of every offer it rejected (those copies go out without a verdict). */
const watched = (ledger: RedisHandoverLedger): HandoverLedger & { readonly rejectedKeys: string[] } => {
  const rejectedKeys: string[] = [];
  return {
    rejectedKeys,
    offer: (side, keys) =>
      ledger.offer(side, keys).catch((error: unknown) => {
        rejectedKeys.push(...keys);
        throw error;
      }),
    close: () => ledger.close(),
  };
};

const contentOf = (e: ShardDispatchEvent) => (e.d as { content?: string }).content ?? '';
(hasRedisServer() ? test : test.skip)(
  `4 -> 6 over two clusters sharing a Redis ledger paused ${PAUSE_MS} ms during the switch: the copies it could not judge go out at-least-once, counted in fallbacks and reported unreachable / reachable; nothing lost`,
  async (t) => {
    t.timeout(90_000);
    const server = await pausableServer(t);
    const keyPrefix = `ledger-pause:${randomUUID()}:`;
    const gw = await createEmulator({ token: TOKEN, shards: 4, heartbeatInterval: 500, identifyWindowMs: WINDOW, guilds: 36, maxConcurrency: 4, heartbeatTimeoutMs: 20_000 });
    t.teardown(() => gw.close());
    const queue = createMemoryIdentifyQueue({ maxConcurrency: 4, windowMs: WINDOW, safetyMarginMs: MARGIN });
    const clusters: Record<string, Cluster> = {};
    const dispatches: Record<string, Collected<ShardDispatchEvent>> = {};
    const ledgerEvents: Record<string, ReshardLedgerEvent[]> = {};
    const redisLedgers: Record<string, RedisHandoverLedger> = {};
    const ledgers: Record<string, ReturnType<typeof watched>> = {};
    const fatals: unknown[] = [];
    for (const [id, shardIds] of Object.entries(PLAN.from.clusters)) {
      // each cluster its own connection, as clusters in separate processes have: one key prefix, one ledger
      redisLedgers[id] = createRedisHandoverLedger({ redis: server.url, keyPrefix, windowMs: LEDGER_MEMORY_WINDOWS * MATCH_WINDOW });
      ledgers[id] = watched(redisLedgers[id]!);
      t.teardown(() => ledgers[id]!.close());
      const c = createCluster({
        token: TOKEN,
        intents: 513,
        shardIds,
        totalShards: 4,
        gateway: { url: gw.url, maxConcurrency: 4 },
        identifyQueue: queue,
        timing: { identifyWindowMs: WINDOW, identifyMarginMs: MARGIN, backoff: { initialMs: 20, maxMs: 100 }, reshardMatchWindowMs: MATCH_WINDOW },
      });
      t.teardown(() => c.shutdown());
      clusters[id] = c;
      dispatches[id] = collect(c.dispatch$);
      ledgerEvents[id] = [];
      c.lifecycle$.subscribe((e) => e.type === 'reshard-ledger' && ledgerEvents[id]!.push(e));
      c.fatal$.subscribe((e) => fatals.push(e));
    }
    await Promise.all(Object.values(clusters).map((c) => c.connect()));
    const all = () => Object.values(dispatches).flatMap((d) => d.events);
    const traffic = gw.markerTraffic({ rate: 400 });
    t.teardown(() => traffic.stop());
    for (const shard of [0, 1, 2, 3]) t.true(await eventually(() => all().some((e) => e.t === 'MESSAGE_CREATE' && e.shardId === shard)));

    let outage: Promise<void> = Promise.resolve();
    const report = await reshardFleet({ a: fleetMember(clusters.a!, ledgers.a), b: fleetMember(clusters.b!, ledgers.b) }, PLAN, {
      identifyQueue: queue,
      onPhase: (phase) => {
        if (phase !== 'switching') return;
        // every cluster is prepared and crossing copies are being offered: Redis stops answering
        server.process.kill('SIGSTOP');
        // the fault lasts PAUSE_MS of wall time (the length of the outage, not a wait for a state)
        outage = sleep(PAUSE_MS).then(() => void server.process.kill('SIGCONT'));
      },
    });
    await outage;
    // the routes judge the new sets' copies for one match window after the retire: the ledger answers again by then
    t.true(await eventually(() => Object.values(ledgerEvents).every((events) => events.at(-1)?.state === 'reachable'), 10_000), 'both clusters report the ledger reachable again');

    traffic.stop();
    const { sent } = await traffic.done;
    const tail = gw.guilds.map((g, i) => (gw.dispatchMessage(g.id, `tail-${i}`), `tail-${i}`));
    t.true(await eventually(() => tail.every((m) => markerCounts(all()).has(m))), 'the tail markers arrived');
    const counts = markerCounts(all());

    // nothing lost
    t.deepEqual(traffic.markers.filter((m) => !counts.has(m)), [], `lost markers (of ${sent})`);
    let fallbacks = 0;
    const fellBack = new Set<string>(); // keys of the copies emitted without a verdict
    for (const id of ['a', 'b']) {
      const r = report.clusters[id]!;
      t.deepEqual(r.to, { totalShards: 6, shardIds: PLAN.to.clusters[id]! });
      const ledger = r.ledger!;
      // every copy the ledger did not answer went out anyway, counted: the route's fallbacks are exactly the rejected keys
      t.true(ledger.fallbacks > 0, `${id}: copies emitted without a verdict`);
      t.is(ledger.fallbacks, ledgers[id]!.rejectedKeys.length, `${id}: fallbacks = keys of the offers Redis did not answer`);
      t.true(redisLedgers[id]!.counts.rejected > 0);
      // reported, never silent: unreachable first, reachable last, alternating; the last count is the report's
      const events = ledgerEvents[id]!;
      t.true(events.length >= 2 && events.length % 2 === 0, `${id}: ${events.map((e) => e.state).join(', ')}`);
      events.forEach((e, i) => t.is(e.state, i % 2 === 0 ? 'unreachable' : 'reachable'));
      t.regex(events[0]!.reason ?? '', /no answer from Redis within 1000 ms/);
      t.is(events.at(-1)!.fallbacks, ledger.fallbacks);
      fallbacks += ledger.fallbacks;
      for (const key of ledgers[id]!.rejectedKeys) fellBack.add(key);
    }
    // at-least-once only where the ledger could not judge: a marker twice had a copy go out without a verdict
    const repeated = [...counts].filter(([, n]) => n > 1).map(([m]) => m);
    const keyOf = new Map(all().filter((e) => e.t === 'MESSAGE_CREATE').map((e) => [contentOf(e), rawHandoverKey(e)]));
    t.deepEqual(repeated.filter((m) => !fellBack.has(keyOf.get(m)!)), [], 'repeated markers outside the copies emitted without a verdict');
    t.true(repeated.length <= fallbacks);
    t.true([...counts.values()].every((n) => n <= 2), 'never more than one copy per layout');
    t.deepEqual(fatals, []);
    t.deepEqual(gw.violations, []);
    t.false(gw.sessions.some((s) => s.numShards === 4 && s.live), 'the old layout retired');
    const keys = redisLedgers.a!.counts.keys + redisLedgers.b!.counts.keys;
    t.log(`${sent} markers, ${keys} ledger keys sent to Redis, ${fallbacks} copies emitted without a verdict (${fellBack.size} distinct events), ${repeated.length} markers twice, 0 lost`);
  },
);
