import test, { type ExecutionContext } from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { MessageChannel } from 'node:worker_threads';
import { Subject } from 'rxjs';
import { BotHandoverLedgers, botHandoverLedgers } from '../../src/control/bot-ledgers.js';
import { createClusterHandle } from '../../src/control/handle.js';
import {
  bridgeCluster,
  createRemoteHandoverLedger,
  decodeMessage,
  portTransport,
  type StartMessage,
  TO_CONTROL,
  TO_CONTROL_LIMITS,
  type ToControlMessage,
} from '../../src/control/index.js';
import { isDisclusterError } from '../../src/gateway/errors.js';
import type { HandoverLedger, HandoverSide } from '../../src/reshard/ledger.js';
import { createMemoryHandoverLedger } from '../../src/reshard/memory-ledger.js';
import { collect } from '../helpers/collect.js';
import { emulator, options, spawn, TOKEN } from './helpers.js';

/** A cluster bridged in this process over a `MessageChannel` (the worker transport), and CONTROL's handle on it sharing `ledger`. */
const pair = async (t: ExecutionContext, url: string, clusterId: string, ledger: HandoverLedger | null) => {
  const { port1, port2 } = new MessageChannel();
  const bridge = bridgeCluster({ transport: portTransport(port2), pid: 1 });
  let exit = (_code: number) => {};
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const start: StartMessage = {
    type: 'start',
    protocol: 1,
    clusterId,
    shardIds: [0],
    totalShards: 1,
    token: TOKEN,
    intents: 513,
    gateway: { url, maxConcurrency: 1 },
    identify: 'local',
    compression: 'none',
    timing: { identifyWindowMs: 200 },
  };
  const handle = createClusterHandle({ transport: portTransport(port1), start, identifyQueue: null, handoverLedger: ledger, exited, kill: () => {}, disconnect: () => port1.close(), requestTimeoutMs: 5_000 });
  void bridge.done.then(() => exit(0));
  const inbound = collect(handle.messages$);
  t.teardown(async () => {
    await handle.shutdown().catch(() => {});
    await handle.exited;
  });
  await handle.ready;
  return { handle, bridge, inbound };
};

test('two clusters under one CONTROL: offers from both, interleaved, admit exactly max(old, new) copies per key; one message per side per turn', async (t) => {
  const gw = await emulator(t);
  const ledger = createMemoryHandoverLedger({ windowMs: 60_000 });
  t.teardown(() => ledger.close());
  const a = await pair(t, gw.url, 'a', ledger);
  const b = await pair(t, gw.url, 'b', ledger);
  // cluster a runs the old shard of the crossing guilds, cluster b the new one; a few old copies also reach b (its own old shard)
  const copies = Array.from({ length: 40 }, (_, i) => ({ key: `MESSAGE_CREATE\n={"id":"${i}"}`, old: i % 3, new: (i * 7) % 4 }));
  const plan: { cluster: 'a' | 'b'; side: HandoverSide; key: string }[] = [];
  for (const c of copies) {
    for (let n = 0; n < c.old; n++) plan.push({ cluster: n % 2 === 0 ? 'a' : 'b', side: 'old', key: c.key });
    for (let n = 0; n < c.new; n++) plan.push({ cluster: 'b', side: 'new', key: c.key });
  }
  // a fixed shuffle, offered in turns of 25 copies, each copy its own offer call
  plan.sort((x, y) => ((plan.indexOf(x) * 7919) % 101) - ((plan.indexOf(y) * 7919) % 101));
  const admitted = new Map<string, number>();
  const messagesBefore = { a: a.inbound.events.length, b: b.inbound.events.length };
  let turns = 0;
  for (let from = 0; from < plan.length; from += 25) {
    turns++;
    await Promise.all(
      plan.slice(from, from + 25).map(async ({ cluster, side, key }) => {
        const [verdict] = await (cluster === 'a' ? a : b).bridge.handoverLedger.offer(side, [key]);
        if (verdict) admitted.set(key, (admitted.get(key) ?? 0) + 1);
      }),
    );
  }
  for (const c of copies) t.is(admitted.get(c.key) ?? 0, Math.max(c.old, c.new), c.key);
  const offers = (side: { inbound: typeof a.inbound }, before: number) => side.inbound.events.slice(before).filter((m) => m.type === 'ledger-offer');
  t.true(offers(a, messagesBefore.a).length <= turns, 'cluster a: at most one ledger-offer per turn (it only offers old copies)');
  t.true(offers(b, messagesBefore.b).length <= 2 * turns, 'cluster b: at most one per side per turn');
  t.is(offers(a, messagesBefore.a).reduce((n, m) => n + (m.type === 'ledger-offer' ? m.keys.length : 0), 0), plan.filter((p) => p.cluster === 'a').length);
});

test('a CONTROL without a ledger answers failed: the offer rejects with LEDGER_UNREACHABLE; after shutdown offers reject at once', async (t) => {
  const gw = await emulator(t);
  const { bridge, handle } = await pair(t, gw.url, 'lonely', null);
  const error = await t.throwsAsync(bridge.handoverLedger.offer('new', ['k']));
  t.true(isDisclusterError(error, 'LEDGER_UNREACHABLE'));
  t.regex(error!.message, /this CONTROL holds no handover ledger/);
  await handle.shutdown();
  await t.throwsAsync(bridge.handoverLedger.offer('old', ['k']), { message: /channel to CONTROL is closed/ });
});

test('remote ledger: no answer within timeoutMs rejects; what waits is bounded; long keys travel as a digest; batches over 4096 keys are split', async (t) => {
  const sent: ToControlMessage[] = [];
  const remote = createRemoteHandoverLedger((m) => sent.push(m), { timeoutMs: 100, maxWaitingKeys: 5_000 });
  const startedAt = performance.now();
  const silent = remote.offer('old', ['a', 'b']);
  const over = await t.throwsAsync(remote.offer('new', Array.from({ length: 4_999 }, (_, i) => `k${i}`)));
  t.regex(over!.message, /2 keys already wait for CONTROL \(maxWaitingKeys 5000\)/);
  const error = await t.throwsAsync(silent);
  t.true(isDisclusterError(error, 'LEDGER_UNREACHABLE'));
  t.regex(error!.message, /no verdicts from CONTROL within 100 ms/);
  t.true(performance.now() - startedAt >= 95);

  sent.length = 0;
  const long = `GUILD_CREATE\n${'x'.repeat(2_000)}`;
  const keys = [long, ...Array.from({ length: 4_500 }, (_, i) => `e${i}`)];
  const offered = remote.offer('new', keys);
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(sent.map((m) => m.type === 'ledger-offer' && m.keys.length), [4_096, 405], 'two messages, at most 4096 keys each');
  const first = sent[0] as Extract<ToControlMessage, { type: 'ledger-offer' }>;
  t.regex(first.keys[0]!, /^!.{28}:2013$/, 'the 2013-character key as its digest');
  for (const m of sent) {
    t.true(E.isRight(decodeMessage(TO_CONTROL, m, TO_CONTROL_LIMITS)), 'each message passes CONTROL’s codec');
    if (m.type === 'ledger-offer') remote.settle({ type: 'ledger-verdicts', batchId: m.batchId, verdicts: m.keys.map((_, i) => i % 2 === 0) });
  }
  const verdicts = await offered;
  t.is(verdicts.length, keys.length);
  t.deepEqual(verdicts.slice(4_094, 4_098), [true, false, true, false]);
  t.deepEqual(remote.counts, { messages: 3, keys: 4_503, rejected: 2 });
});

test('remote ledger: a failed answer or a wrong count rejects its batch only; dispose rejects the rest', async (t) => {
  const toControl = new Subject<ToControlMessage>();
  const offers = collect(toControl);
  const remote = createRemoteHandoverLedger((m) => toControl.next(m));
  const one = remote.offer('old', ['x']);
  const two = remote.offer('new', ['y', 'z']);
  const three = remote.offer('new', ['w']).catch((e: unknown) => e);
  await offers.when((m) => m.type === 'ledger-offer' && m.side === 'new');
  const [oldBatch, newBatch] = offers.events as Extract<ToControlMessage, { type: 'ledger-offer' }>[];
  remote.settle({ type: 'ledger-verdicts', batchId: oldBatch!.batchId, failed: 'LEDGER_UNREACHABLE: Redis is not connected (reconnecting)' });
  await t.throwsAsync(one, { message: /CONTROL's ledger failed: LEDGER_UNREACHABLE: Redis is not connected/ });
  remote.settle({ type: 'ledger-verdicts', batchId: newBatch!.batchId, verdicts: [true] });
  await t.throwsAsync(two, { message: /CONTROL answered 1 verdicts for 3 keys/ });
  t.true(isDisclusterError(await three, 'LEDGER_UNREACHABLE'), 'the same batch: y, z and w went in one message');
  const four = remote.offer('old', ['v']);
  remote.dispose();
  await t.throwsAsync(four, { message: /channel to CONTROL is closed/ });
  t.is(offers.events.filter((m) => m.type === 'ledger-offer').length, 2, 'the offer disposed before its turn ended was never sent');
});

test("ledger-offer is validated: a key over 256 characters, an unknown side, more than 4096 keys are refused", (t) => {
  const refused = (message: unknown, path: RegExp) => {
    const decoded = decodeMessage(TO_CONTROL, message, TO_CONTROL_LIMITS);
    t.true(E.isLeft(decoded));
    if (E.isLeft(decoded)) t.regex(decoded.left.issues.map((i) => i.path).join(' '), path);
  };
  refused({ type: 'ledger-offer', batchId: 1, side: 'old', keys: ['x'.repeat(257)] }, /keys/);
  refused({ type: 'ledger-offer', batchId: 1, side: 'middle', keys: ['x'] }, /side/);
  refused({ type: 'ledger-offer', batchId: 1, side: 'new', keys: Array.from({ length: 4_097 }, () => 'k') }, /keys/);
  refused({ type: 'ledger-offer', batchId: -1, side: 'new', keys: ['k'] }, /batchId/);
  t.true(E.isRight(decodeMessage(TO_CONTROL, { type: 'ledger-offer', batchId: 1, side: 'new', keys: ['k'] }, TO_CONTROL_LIMITS)));
});

test('BotHandoverLedgers: one ledger per bot, shared by its clusters, closed when the last one exits', async (t) => {
  const ledgers = new BotHandoverLedgers();
  const first = ledgers.lend({ token: 'bot-one', gatewayUrl: 'ws://a', windowMs: 5_000 });
  const second = ledgers.lend({ token: 'bot-one', gatewayUrl: 'ws://a', windowMs: 5_000 });
  const other = ledgers.lend({ token: 'bot-two', gatewayUrl: 'ws://a', windowMs: 5_000 });
  t.is(first.ledger, second.ledger);
  t.not(first.ledger, other.ledger);
  t.is(ledgers.size, 2);
  t.deepEqual(first.ledger.decide('old', ['k']), [true]);
  t.deepEqual(second.ledger.decide('new', ['k']), [false], 'one cluster’s old copy matches the other’s new copy');
  first.release();
  first.release();
  t.is(ledgers.size, 2, 'a second release of one lender changes nothing');
  second.release();
  other.release();
  t.is(ledgers.size, 0);
  await t.throwsAsync(second.ledger.offer('old', ['k']), { message: /closed/ });
});

test('spawnCluster lends its clusters the bot’s ledger until they exit; one passed in is used instead and never sent', async (t) => {
  const gw = await emulator(t);
  t.is(botHandoverLedgers.size, 0);
  const first = spawn(t, options(gw, { mode: 'worker', clusterId: 'w1' }));
  const second = spawn(t, options(gw, { mode: 'worker', clusterId: 'w2' }));
  const ledger = createMemoryHandoverLedger({ windowMs: 1_000 });
  t.teardown(() => ledger.close());
  const third = spawn(t, options(gw, { mode: 'worker', clusterId: 'w3', handoverLedger: ledger }));
  t.is(botHandoverLedgers.size, 1, 'w1 and w2 share one; w3 brought its own');
  await Promise.all([first.handle.ready, second.handle.ready, third.handle.ready]);
  const start = third.outbound.events.find((m) => (m as { type?: string }).type === 'start');
  t.false(Object.hasOwn(start as object, 'handoverLedger'), 'the ledger stays in CONTROL');
  await first.handle.shutdown();
  await first.handle.exited;
  t.is(botHandoverLedgers.size, 1, 'still lent to w2');
  await second.handle.shutdown();
  await second.handle.exited;
  t.is(botHandoverLedgers.size, 0, 'closed with its last cluster');
  await third.handle.shutdown();
});
