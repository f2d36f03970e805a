import { get } from 'node:https';
import test, { type ExecutionContext } from 'ava';
import { createCluster } from '../../src/cluster/cluster.js';
import { shard } from '../../src/shard/shard.js';
import type { ShardDispatchEvent, ShardEvent, ShardOptions, ShardStatusEvent } from '../../src/shard/types.js';
import { createEmulator, type Emulator, type FrameRecord, type OpenRecord } from '../../src/testing/index.js';
import { selfSignedCertificate } from '../../src/testing/wire/tls.js';
import { shardEmulator, shardOptions, startShard } from './setup.js';

const TOKEN = 'wss-test-token';

/** A TLS emulator (its certificate made at start), closed when the test ends. */
const emulator = (t: ExecutionContext, extra: Parameters<typeof createEmulator>[0] = {}) => shardEmulator(t, TOKEN, { tls: true, ...extra });

const start = startShard;

const options = (gw: Emulator, extra: Partial<ShardOptions> = {}): ShardOptions =>
  shardOptions(TOKEN, gw.url, {
    tls: { ca: gw.certificate! },
    timing: { helloTimeoutMs: 2000, readyTimeoutMs: 3000, backoff: { initialMs: 20, maxMs: 100 }, invalidSessionWaitMs: { min: 10, max: 50 } },
    ...extra,
  });

const isStatus = (status: string) => (e: ShardEvent): e is ShardStatusEvent => e.type === 'status' && e.status === status;
const messages = (events: ShardEvent[]) => events.filter((e): e is ShardDispatchEvent => e.type === 'dispatch' && e.t === 'MESSAGE_CREATE').map((e) => (e.d as { n: number }).n);
const opens = (gw: Emulator) => gw.records.filter((r): r is OpenRecord => r.kind === 'open');

test('the emulator serves wss:// and https:// with the certificate it made, and GET /gateway/bot names the wss URL', async (t) => {
  const gw = await emulator(t);
  t.regex(gw.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
  t.is(gw.resumeUrl, `${gw.url}/resume`);
  t.regex(gw.httpUrl, /^https:\/\//);
  t.regex(gw.certificate ?? '', /^-----BEGIN CERTIFICATE-----/);
  const body = await new Promise<string>((resolve, reject) => {
    get(`${gw.httpUrl}/gateway/bot`, { ca: gw.certificate, headers: { authorization: `Bot ${TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  t.is((JSON.parse(body) as { url: string }).url, gw.url);
});

for (const compression of ['zlib-stream', 'none'] as const) {
  test(`over wss, ${compression}: identify → READY → guilds → dispatches`, async (t) => {
    const gw = await emulator(t);
    const run = start(t, shard(options(gw, { compression })));
    await run.when(isStatus('ready'));
    await run.when((e) => e.type === 'dispatch' && e.t === 'GUILD_CREATE');
    for (let n = 0; n < 50; n++) gw.dispatch(0, 'MESSAGE_CREATE', { n, content: 'x'.repeat(n * 40) });
    await run.when((e) => e.type === 'dispatch' && e.t === 'MESSAGE_CREATE' && (e.d as { n: number }).n === 49);
    t.deepEqual(messages(run.events), Array.from({ length: 50 }, (_, n) => n));
    t.is(opens(gw)[0]?.path, '/');
    t.is(opens(gw)[0]?.query.compress, compression === 'none' ? undefined : 'zlib-stream');
    t.like(run.events.find((e) => e.type === 'session'), { session: { resumeUrl: gw.resumeUrl } });
    t.is(gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2).length, 1);
    run.subscription.unsubscribe();
    await gw.close();
  });
}

test('a dropped wss connection resumes on the wss:// resume URL over zlib-stream: nothing lost, nothing repeated', async (t) => {
  const gw = await emulator(t);
  const run = start(t, shard(options(gw)));
  await run.when(isStatus('ready'));
  for (let n = 0; n < 10; n++) gw.dispatch(0, 'MESSAGE_CREATE', { n });
  await run.when((e) => e.type === 'dispatch' && (e.d as { n?: number }).n === 9);
  gw.drop(0);
  for (let n = 10; n < 20; n++) gw.dispatch(0, 'MESSAGE_CREATE', { n }); // buffered in the detached session
  await run.when(isStatus('resumed'));
  for (let n = 20; n < 30; n++) gw.dispatch(0, 'MESSAGE_CREATE', { n });
  await run.when((e) => e.type === 'dispatch' && (e.d as { n?: number }).n === 29);
  t.deepEqual(messages(run.events), Array.from({ length: 30 }, (_, n) => n));
  t.deepEqual(opens(gw).map((o) => o.path), ['/', '/resume']);
  t.like(gw.records.find((r) => r.kind === 'frame' && r.op === 6), { path: '/resume' });
  run.subscription.unsubscribe();
  await gw.close();
});

test('certificate verification stays on: without the emulator certificate as ca, no connection gets past TLS', async (t) => {
  const gw = await emulator(t);
  const { tls: _tls, ...untrusting } = options(gw);
  const run = start(t, shard(untrusting));
  await run.when(isStatus('reconnecting'));
  await run.when((e) => isStatus('reconnecting')(e) && run.events.filter(isStatus('reconnecting')).length >= 2);
  t.deepEqual(opens(gw), [], 'the WebSocket upgrade never happened');
  t.false(run.events.some(isStatus('identifying')));
  run.subscription.unsubscribe();
});

test('a certificate passed in is served as is; a cluster trusts it with tls.ca and gets ready over wss with zlib-stream', async (t) => {
  const certificate = await selfSignedCertificate('127.0.0.1');
  const gw = await emulator(t, { tls: certificate });
  t.is(gw.certificate, certificate.cert);
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds: [0, 1],
    totalShards: 2,
    gateway: { url: gw.url, maxConcurrency: 2 },
    compression: 'zlib-stream',
    tls: { ca: [certificate.cert] },
    timing: { identifyWindowMs: 50, helloTimeoutMs: 2000, readyTimeoutMs: 3000 },
  });
  const ready = await cluster.connect();
  t.deepEqual([...ready.shardIds].sort(), [0, 1]);
  t.deepEqual(ready.failed, []);
  const sessions = await cluster.shutdown();
  t.is(sessions.length, 0);
  t.true(opens(gw).length >= 2);
  t.true(opens(gw).every((o) => o.query.compress === 'zlib-stream'));
});

test('tls that is not { ca: PEM string or strings } is INVALID_OPTIONS', (t) => {
  for (const tls of [null, 5, { ca: 5 }, { ca: ['x', 1] }]) {
    const error = t.throws(() => createCluster({ token: TOKEN, intents: 1, shardIds: [0], totalShards: 1, gateway: { url: 'wss://127.0.0.1:1', maxConcurrency: 1 }, tls: tls as never }));
    t.like(error, { code: 'INVALID_OPTIONS' });
    t.regex(error!.message, /^tls must be/);
  }
});
