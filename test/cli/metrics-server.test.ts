import test from 'ava';
import type { ClusterHandle } from '../../src/control/handle.js';
import type { ToControlOf } from '../../src/control/to-control.js';
import { metricsPort, serveMetrics } from '../../src/cli/metrics-server.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { activeResources } from '../helpers/collect.js';
import { parseScrape, sum } from '../metrics/scrape.js';

const stats = (shardId: number, messages: number): ToControlOf<'stats'> => ({
  type: 'stats',
  nonce: 1,
  clusterId: 'c',
  shards: [
    {
      shardId,
      status: 'ready',
      latencyMs: 12,
      seq: 5,
      events: messages + 1,
      lastCloseCode: null,
      fatal: false,
      dispatches: { READY: 1, MESSAGE_CREATE: messages },
      reconnects: { resume: 2, identify: 0 },
      sessionsLost: 0,
      fatalKinds: {},
    },
  ],
  memory: { rss: 1, heapUsed: 1, heapTotal: 1, external: 1 },
  eventLoopLagMs: 0,
  uptimeMs: 1,
});

test('METRICS_PORT: unset or empty means no server; a port number is taken; anything else is refused in one line', (t) => {
  t.is(metricsPort(undefined), undefined);
  t.is(metricsPort(''), undefined);
  t.is(metricsPort('0'), 0);
  t.is(metricsPort('9464'), 9464);
  for (const bad of ['http', '-1', '65536', '1.5']) t.regex(t.throws(() => metricsPort(bad))!.message, /^METRICS_PORT must be a port number/);
});

test("the demo's /metrics serves the clusters' stats as Prometheus text on 127.0.0.1, and close() frees everything", async (t) => {
  const before = activeResources();
  const handles: Pick<ClusterHandle, 'stats'>[] = [{ stats: async () => stats(0, 3) }, { stats: async () => stats(1, 4) }, { stats: () => Promise.reject(new Error('exited')) }];
  const server = await serveMetrics(0, () => handles, createMemoryIdentifyQueue({ maxConcurrency: 1 }));
  t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const response = await fetch(server.url);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/plain/);
  const samples = parseScrape(await response.text());
  t.is(sum(samples, 'discluster_dispatches_total', { event: 'MESSAGE_CREATE' }), 7);
  t.is(sum(samples, 'discluster_shards', { status: 'ready' }), 2);
  t.is(sum(samples, 'discluster_heartbeat_latency_seconds', { shard: '1' }), 0.012);
  t.is(sum(samples, 'discluster_reconnects_total', { kind: 'resume' }), 4);
  t.is((await fetch(server.url.replace('/metrics', '/'))).status, 404);
  await server.close();
  await t.throwsAsync(fetch(server.url));
  t.deepEqual(activeResources(), before, 'no server, socket or timer left');
});
