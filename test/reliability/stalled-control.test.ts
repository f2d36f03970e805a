import test, { type ExecutionContext } from 'ava';
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, map } from 'rxjs';
import { spawnCluster, type ToControlOf } from '../../src/control/index.js';
import { collect } from '../helpers/collect.js';

const TOKEN = 'stalled-control-token';
/** How long CONTROL's loop is blocked. */
const STALL_MS = 8_000;
/** The window the cluster may fill: 1 MiB. */
const WINDOW = 1 << 20;
/**
 * Room for everything else the cluster allocates while the flood runs (parsing ~100 MB/s, buffers
 * freed a GC later), far below what the stall would queue without the bound (~1 GB; checked below:
 * the flood is at least twice this). Peak growth seen on a 2-core machine, quiet or beside two busy
 * loops: +14 to +19 MiB in most runs of either mode, +32 to +36 MiB in some of the process mode's
 * (the heap's size the same in both kinds of run: memory outside it, freed late).
 */
const MARGIN = { process: 48 << 20, worker: 48 << 20 } as const;
/**
 * Dispatches the flood has sent when the short block before the stall ends: enough that the
 * cluster has read far more than its window of 16 whatever the socket buffers hold (~12 MiB).
 */
const PRE_STALL_SENT = 200;
/** Each forwarded MESSAGE_CREATE carries this much content: the flood is of bytes, not just messages. */
const CONTENT_BYTES = 64 << 10;

/** Where a dispatch came in CONTROL's inbound order, without its content. */
const DISPATCH_PLACE = { type: 'dispatch' } as const;

/** The flood emulator in a process of its own (this test blocks its own loop); `ask` sends a command and awaits its answer. */
const remoteEmulator = async (t: ExecutionContext) => {
  const child = fork(new URL('./fixtures/flood-emulator.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  t.teardown(() => void child.kill());
  let nextId = 0;
  const ask = <T>(command: object) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      const onAnswer = (answer: { id: number }) => {
        if (answer.id !== id) return;
        child.off('message', onAnswer);
        resolve(answer as T);
      };
      child.on('message', onAnswer);
      child.send({ ...command, id });
    });
  const { url } = await ask<{ url: string }>({ cmd: 'start', options: { token: TOKEN, shards: 2, maxConcurrency: 2, identifyWindowMs: 50, heartbeatInterval: 1_000 } });
  return { url, ask };
};

/**
 * CONTROL busy with its own work, reading nothing from any channel: for `ms`, and on until the
 * flood has sent `count` dispatches (read from its progress file; a loaded machine floods slower),
 * at most `capMs`.
 */
const blockUntilFlooded = (ms: number, progressFile: string, count: number, capMs: number) => {
  const flooded = () => {
    try {
      return Number(readFileSync(progressFile, 'utf8')) >= count;
    } catch {
      return false;
    }
  };
  const start = performance.now();
  let nextCheck = start + ms;
  for (;;) {
    const now = performance.now();
    if (now - start >= capMs) return;
    if (now >= nextCheck) {
      if (flooded()) return;
      nextCheck = now + 10;
    }
  }
};

for (const mode of ['process', 'worker'] as const) {
  test.serial(`${mode} mode: a CONTROL blocked ${STALL_MS / 1000} s costs the cluster at most its window; then it hears of the drops, and of the fatal in between`, async (t) => {
    const gateway = await remoteEmulator(t);
    const cluster = spawnCluster({
      mode,
      clusterId: `stalled-${mode}`,
      shardIds: [0, 1],
      totalShards: 2,
      token: TOKEN,
      intents: 513,
      gateway: { url: gateway.url, maxConcurrency: 2 },
      compression: 'none',
      timing: { identifyWindowMs: 50 },
      forward: { dispatches: ['MESSAGE_CREATE'], maxUnreadBytes: WINDOW },
    });
    t.teardown(async () => {
      cluster.kill();
      await cluster.exited;
    });
    let received = 0;
    let reported = 0;
    cluster.messages$.subscribe((m) => {
      if (m.type === 'dispatch') received++;
      if (m.type === 'forward-dropped') reported += m.total;
    });
    // after the counters (`when` sees them up to date); a dispatch is kept as its place in the order
    // alone: in worker mode this process is the cluster's, and its measured growth must not be the
    // test's own copies of what CONTROL received (thousands of 64 KiB messages)
    const inbound = collect(cluster.messages$.pipe(map((m) => (m.type === 'dispatch' ? DISPATCH_PLACE : m))));
    const reconnects = collect(cluster.messages$.pipe(filter((m) => m.type === 'shard-status' && m.status === 'reconnecting')));
    await cluster.ready;
    const before = await cluster.stats();

    // enough to be at least twice the bound checked, so that the check can fail
    const count = Math.ceil((2 * (WINDOW + MARGIN[mode])) / CONTENT_BYTES) + 1;
    const progressDir = mkdtempSync(join(tmpdir(), 'flood-'));
    t.teardown(() => rmSync(progressDir, { recursive: true, force: true }));
    const progressFile = join(progressDir, 'sent');
    const flooded = gateway.ask<{ sent: number }>({ cmd: 'flood', shardId: 0, ms: STALL_MS + 2_000, count, contentBytes: CONTENT_BYTES, progressFile });
    // CONTROL behind for a moment first (as on a loaded machine, where any pause of its loop fills a
    // window of 16 dispatches): that gap makes a report of its own, which is not the stall's.
    blockUntilFlooded(0, progressFile, PRE_STALL_SENT, 30_000);
    const early = await inbound.when((m) => m.type === 'forward-dropped', 30_000);
    await gateway.ask({ cmd: 'close-later', shardId: 1, code: 4004, afterMs: STALL_MS / 2 }); // authentication failed: shard 1 stops for good during the stall
    const stalledAt = inbound.events.length;
    const stallMiddle = Date.now() + STALL_MS / 2;
    blockUntilFlooded(STALL_MS, progressFile, count, 60_000);

    const fatal = await inbound.when((m) => m.type === 'fatal', 30_000);
    t.like(fatal, { shardId: 1, kind: 'auth' });
    const { sent } = await flooded;
    const after = await cluster.stats();
    const growth = after.memory.maxRss! - before.memory.rss;
    t.log(`${mode}: rss ${(before.memory.rss / 2 ** 20).toFixed(0)} MiB before, peak ${(after.memory.maxRss! / 2 ** 20).toFixed(0)} MiB: +${(growth / 2 ** 20).toFixed(1)} MiB for ${sent} dispatches of ${CONTENT_BYTES >> 10} KiB`);
    t.true(sent * CONTENT_BYTES > 2 * (WINDOW + MARGIN[mode]), `the flood (${sent} dispatches) is at least twice the bound checked, so the check can fail`);
    t.true(growth < WINDOW + MARGIN[mode], `the cluster grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);

    // the stall's report: its gap was open in the middle of the stall (CONTROL read nothing then)
    const report = (await inbound.when((m) => m.type === 'forward-dropped' && m.firstAt <= stallMiddle && m.lastAt >= stallMiddle, 30_000)) as ToControlOf<'forward-dropped'>;
    const order = inbound.events;
    t.true(order.indexOf(early) < stalledAt && early !== report, 'the moment behind before the stall was reported before it, apart');
    // read after the stall: everything queued while CONTROL was blocked (and before, unread)
    const ahead = order.slice(stalledAt, order.indexOf(fatal)).filter((m) => m.type === 'dispatch').length;
    t.log(`${mode}: ${ahead} dispatches ahead of the fatal; the stall's report: ${report.total} dropped over ${report.lastAt - report.firstAt} ms`);
    t.true(report.total > 0 && report.dispatches['MESSAGE_CREATE'] === report.total);
    t.true(report.lastAt - report.firstAt > STALL_MS / 2, 'the report spans the stall');
    t.true(ahead * CONTENT_BYTES <= WINDOW + CONTENT_BYTES, 'the fatal waited behind at most the window');
    t.true(order.indexOf(fatal) < order.indexOf(report), 'the fatal of the stall came before its drop report');

    // every dispatch the gateway sent is either received by CONTROL or counted in a report
    if (received + reported !== sent) await inbound.when(() => received + reported === sent, 30_000).catch(() => {});
    t.is(received + reported, sent, `${received} received + ${reported} reported of ${sent} sent`);
    const end = await cluster.stats();
    t.like(end.forward, { maxUnreadBytes: WINDOW, dropped: { MESSAGE_CREATE: reported } });
    t.is(reconnects.events.length, 0, 'no shard reconnected: the cluster never slowed down');
    await cluster.shutdown();
  });
}
