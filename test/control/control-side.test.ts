import test from 'ava';
import { NEVER, Subject } from 'rxjs';
import { createClusterHandle } from '../../src/control/handle.js';
import { createIdentifyBroker } from '../../src/control/identify-broker.js';
import { createRemoteIdentifyQueue, type StartMessage, type ToClusterMessage, type ToControlMessage } from '../../src/control/index.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';

const start: StartMessage = { type: 'start', protocol: 1, clusterId: 'c', shardIds: [0], totalShards: 1, token: 't', intents: 0, gateway: { url: 'ws://x', maxConcurrency: 1 }, identify: 'local' };

test('a request nobody answers rejects with CONTROL_TIMEOUT; an exit rejects the rest with CONTROL_EXITED', async (t) => {
  let exit = (_code: number) => {};
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const sent: unknown[] = [];
  const handle = createClusterHandle({
    transport: { send: (m) => sent.push(m), messages$: NEVER, close: async () => {} },
    start,
    identifyQueue: null,
    exited,
    kill: () => exit(137),
    disconnect: () => {},
    requestTimeoutMs: 50,
  });
  const timedOut = await handle.ping().catch((e: unknown) => e);
  t.true(isDisclusterError(timedOut, 'CONTROL_TIMEOUT'), String(timedOut));
  t.regex((timedOut as Error).message, /did not answer ping within 50 ms/);
  const pending = handle.stats().catch((e: unknown) => e);
  handle.kill();
  t.true(isDisclusterError(await pending, 'CONTROL_EXITED'));
  t.true(isDisclusterError(await handle.ready.catch((e: unknown) => e), 'CONTROL_EXITED'));
  t.is(await handle.exited, 137);
  t.like(sent[0], { type: 'ping', nonce: 1 });
});

test('an error naming a request nonce rejects that request; a refused start rejects ready', async (t) => {
  const inbound = new Subject<unknown>();
  const handle = createClusterHandle({
    transport: { send: () => {}, messages$: inbound, close: async () => {} },
    start,
    identifyQueue: null,
    exited: new Promise(() => {}),
    kill: () => {},
    disconnect: () => {},
    requestTimeoutMs: 5000,
  });
  const command = handle.command(0, { op: 3, d: {} }).catch((e: unknown) => e);
  inbound.next({ type: 'error', code: 'not-started', message: 'no cluster', issues: [], about: 'command', nonce: 1 });
  t.true(isDisclusterError(await command, 'PROTOCOL_INVALID'));
  inbound.next({ type: 'error', code: 'invalid', message: 'invalid start: intents', issues: [{ path: 'intents', expected: 'x' }], about: 'start' });
  t.true(isDisclusterError(await handle.ready.catch((e: unknown) => e), 'PROTOCOL_INVALID'));
});

test('remote queue ↔ broker: one lease per bucket at a time, released by identify-done', async (t) => {
  const toControl = new Subject<ToControlMessage>();
  const toCluster = new Subject<ToClusterMessage>();
  const remote = createRemoteIdentifyQueue((m) => toControl.next(m), 2);
  const broker = createIdentifyBroker(createMemoryIdentifyQueue({ maxConcurrency: 2, windowMs: 30, safetyMarginMs: 0 }), (m) => toCluster.next(m));
  const log: string[] = [];
  toControl.subscribe((m) => {
    log.push(`${m.type}:${'shardId' in m ? m.shardId : ''}`);
    if (m.type === 'identify-request') broker.request(m.shardId, m.nonce);
    if (m.type === 'identify-sent') broker.sent(m.nonce);
    if (m.type === 'identify-done') broker.done(m.nonce);
  });
  toCluster.subscribe((m) => {
    log.push(`${m.type}:${'shardId' in m ? m.shardId : ''}`);
    if (m.type === 'identify-grant') remote.grant(m.nonce);
  });
  const granted = (shardId: number) =>
    new Promise<void>((resolve) => {
      const lease = remote.acquire(shardId).subscribe((grant) => {
        log.push(`granted:${shardId}`);
        grant.sent();
        queueMicrotask(() => lease.unsubscribe()); // the identify is sent: release
        resolve();
      });
    });
  await Promise.all([granted(0), granted(2), granted(1)]);
  const at = (entry: string) => log.indexOf(entry);
  t.deepEqual(log.filter((e) => e.startsWith('granted')).sort(), ['granted:0', 'granted:1', 'granted:2']);
  t.true(at('identify-grant:1') < at('identify-done:0') || at('identify-grant:1') < at('identify-grant:2'), `bucket 1 waits for nobody: ${log.join(' ')}`);
  t.true(at('identify-grant:2') > at('identify-done:0'), `bucket 0 waits for the release: ${log.join(' ')}`);
  t.is(log.filter((e) => e.startsWith('identify-done')).length, 3);
  broker.releaseAll();
  remote.dispose();
});

test('remote queue ↔ broker: identify-sent spends a unit of CONTROL’s budget; a grant released without it costs nothing', async (t) => {
  const toControl = new Subject<ToControlMessage>();
  const queue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 10_000, safetyMarginMs: 0, sessionStartLimit: { total: 10, remaining: 2, resetAfter: 60_000 } });
  const remote = createRemoteIdentifyQueue((m) => toControl.next(m), 1);
  const broker = createIdentifyBroker(queue, (m) => m.type === 'identify-grant' && remote.grant(m.nonce));
  const types: string[] = [];
  toControl.subscribe((m) => {
    types.push(m.type);
    if (m.type === 'identify-request') broker.request(m.shardId, m.nonce);
    if (m.type === 'identify-sent') broker.sent(m.nonce);
    if (m.type === 'identify-done') broker.done(m.nonce);
  });
  const turn = (shardId: number, send: boolean) =>
    new Promise<void>((resolve) => {
      const lease = remote.acquire(shardId).subscribe((grant) => {
        if (send) grant.sent();
        queueMicrotask(() => (lease.unsubscribe(), resolve()));
      });
    });
  // a window of 10 s: only unsent grants can follow each other at once
  for (let i = 0; i < 4; i++) await turn(0, false);
  t.is(queue.remaining, 2, 'four grants refused before Hello spent nothing');
  await turn(1, true);
  t.is(queue.remaining, 1);
  t.is(queue.sent, 1);
  t.is(types.filter((type) => type === 'identify-sent').length, 1);
  broker.releaseAll();
  remote.dispose();
});

test('a refusal from CONTROL errors the waiting shard with the queue code', async (t) => {
  const sent: ToControlMessage[] = [];
  const remote = createRemoteIdentifyQueue((m) => sent.push(m), 1);
  const error = new Promise<unknown>((resolve) => remote.acquire(0).subscribe({ error: resolve }));
  const request = sent[0] as Extract<ToControlMessage, { type: 'identify-request' }>;
  remote.refuse(request.nonce, 'IDENTIFY_BUDGET_EXHAUSTED', 'spent');
  t.true(isDisclusterError(await error, 'IDENTIFY_BUDGET_EXHAUSTED'));
  t.like(sent[1], { type: 'identify-done', shardId: 0, nonce: request.nonce });
});
