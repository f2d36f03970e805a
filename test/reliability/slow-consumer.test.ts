import test, { type ExecutionContext } from 'ava';
import { fork } from 'node:child_process';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { createCluster } from '../../src/cluster/cluster.js';
import { spawnCluster } from '../../src/control/index.js';
import { stall } from '../helpers/markers.js';

const HEARTBEAT_MS = 300;
const BLOCK_MS = 2_000; // longer than the interval and than the gateway's heartbeat timeout (1.5 × 300 + 1000)

interface Report {
  identifies: number;
  resumes: number;
  serverCloses: number[];
  violations: string[];
}

/** Starts the emulator in its own process; returns a function to ask it things. */
const remoteEmulator = async (t: ExecutionContext) => {
  const child = fork(new URL('./fixtures/emulator-process.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  t.teardown(() => void child.kill());
  const ask = <T>(command: object) =>
    new Promise<T>((resolve) => {
      child.once('message', (answer) => resolve(answer as T));
      child.send(command);
    });
  const { url } = await ask<{ url: string }>({ cmd: 'start', options: { token: 'slow-token', shards: 2, maxConcurrency: 2, identifyWindowMs: 50, heartbeatInterval: HEARTBEAT_MS } });
  return { url, ask };
};


test.serial('worker mode: bot code blocking the main thread for 2 s per event does not disturb the shards', async (t) => {
  const gateway = await remoteEmulator(t);
  const cluster = spawnCluster({
    mode: 'worker',
    clusterId: 'slow',
    shardIds: [0, 1],
    totalShards: 2,
    token: 'slow-token',
    intents: 513,
    gateway: { url: gateway.url, maxConcurrency: 2 },
    timing: { identifyWindowMs: 50 },
    forward: { dispatches: ['MESSAGE_CREATE'] },
  });
  t.teardown(() => cluster.kill());
  const reconnects: number[] = [];
  cluster.messages$.pipe(filter((m) => m.type === 'shard-status' && m.status === 'reconnecting')).subscribe((m) => reconnects.push(m.type === 'shard-status' ? m.shardId : -1));
  await cluster.ready;
  const received = firstValueFrom(
    cluster.messages$.pipe(
      filter((m) => m.type === 'dispatch'),
      take(3),
      toArray(),
    ),
  );
  cluster.messages$.pipe(filter((m) => m.type === 'dispatch')).subscribe(() => stall(BLOCK_MS));
  await gateway.ask({ cmd: 'dispatch', shardId: 1, count: 3 });
  t.is((await received).length, 3);
  const stats = await cluster.stats();
  const report = await gateway.ask<Report>({ cmd: 'report' });
  t.deepEqual(report.serverCloses, [], 'the gateway closed nothing');
  t.is(report.resumes, 0, 'no shard had to resume');
  t.deepEqual(reconnects, []);
  t.true(stats.shards.every((s) => s.status === 'ready'));
  await cluster.shutdown();
});

test.serial('same thread: a subscriber blocking past the heartbeat timeout gets the connection closed; the loss is reported', async (t) => {
  const gateway = await remoteEmulator(t);
  const cluster = createCluster({
    token: 'slow-token',
    intents: 513,
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gateway.url, maxConcurrency: 2 },
    timing: { identifyWindowMs: 50, backoff: { initialMs: 10, maxMs: 50 } },
  });
  t.teardown(() => cluster.shutdown());
  await cluster.connect();
  const events: string[] = [];
  cluster.lifecycle$.subscribe((e) => e.type !== 'heartbeat' && events.push(e.type === 'status' ? `${e.shardId}:${e.status}` : `${'shardId' in e ? e.shardId : '-'}:${e.type}`));
  const back = firstValueFrom(cluster.status$.pipe(filter((e) => e.shardId === 1 && e.status === 'ready')));
  cluster.dispatch$.pipe(filter((e) => e.t === 'MESSAGE_CREATE'), take(1)).subscribe(() => stall(BLOCK_MS));
  await gateway.ask({ cmd: 'dispatch', shardId: 1, count: 1 });
  await back;
  const report = await gateway.ask<Report>({ cmd: 'report' });
  t.log(`gateway closes: ${JSON.stringify(report.serverCloses)}; shard events: ${events.join(' ')}`);
  t.true(report.serverCloses.includes(4009), 'the gateway timed the session out');
  t.true(events.includes('1:session-lost'), 'the lost session is reported, never silent');
  t.true(events.includes('1:ready'), 'and the shard identified again');
});
