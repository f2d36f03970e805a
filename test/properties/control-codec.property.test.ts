import test from 'ava';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { NEVER, Subject } from 'rxjs';
import type { Cluster } from '../../src/cluster/cluster.js';
import { checkLayout, layoutProblem } from '../../src/reshard/layout.js';
import { bridgeCluster, decodeMessage, TO_CLUSTER, TO_CLUSTER_LIMITS, TO_CONTROL, TO_CONTROL_LIMITS, type ToControlMessage, type Transport } from '../../src/control/index.js';

const TOKEN = 'fuzz-token-77c1b0d5e2a4';

/** Values a `process.send` or `postMessage` channel can carry, planted with the token here and there. */
const cloneable = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(TOKEN),
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.bigInt(),
    fc.date(),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
    fc.record({ type: fc.constantFrom('start', 'command', 'ping', 'stats', 'shutdown', 'identify-grant', 'reshard', 'nope'), nonce: tie('value'), token: tie('value') }),
    fc.record({ type: fc.constantFrom('reshard', 'resharded', 'reshard-progress', 'reshard-status'), nonce: tie('value'), totalShards: tie('value'), shardIds: tie('value') }),
  ),
})).value;

test('CONTROL codecs: any structured-clone value decodes to a message or a refusal, never a throw, never quoting the token', (t) => {
  fc.assert(
    fc.property(cloneable, (value) => {
      for (const [codec, limits] of [
        [TO_CLUSTER, TO_CLUSTER_LIMITS],
        [TO_CONTROL, TO_CONTROL_LIMITS],
      ] as const) {
        const result = decodeMessage(codec, value, limits);
        if (E.isLeft(result) && JSON.stringify(result.left).includes(TOKEN)) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('the bridge answers every invalid message with an error, keeps running, and never echoes the token', (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(cloneable, fc.jsonValue()), { minLength: 1, maxLength: 20 }), (messages) => {
      const inbound = new Subject<unknown>();
      const out: ToControlMessage[] = [];
      const transport: Transport = { send: (m) => out.push(m as ToControlMessage), messages$: inbound, close: async () => {} };
      let built = 0;
      bridgeCluster({
        transport,
        pid: 1,
        createCluster: () => {
          built++;
          throw new Error('not in this test');
        },
      });
      const invalid = messages.filter((m) => E.isLeft(decodeMessage(TO_CLUSTER, m, TO_CLUSTER_LIMITS))).length;
      for (const message of messages) inbound.next(message);
      inbound.next({ type: 'ping', nonce: 424242 });
      const errors = out.filter((m) => m.type === 'error');
      const pong = out.some((m) => m.type === 'pong' && m.nonce === 424242);
      const leaked = JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes(TOKEN);
      inbound.complete();
      return pong && !leaked && errors.length >= invalid && built === starts(messages);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

/** How many of these messages are valid `start`s (the bridge tries to build a cluster for each). */
const starts = (messages: unknown[]) => messages.filter((m) => E.isRight(decodeMessage(TO_CLUSTER, m, TO_CLUSTER_LIMITS)) && (m as { type: string }).type === 'start').length;

/** Nonces of the reshard requests below: beyond what the arbitrary values reach. */
const NONCE_BASE = 2 ** 40;

/** A `reshard` request as CONTROL may send it: any layout the codec admits, consistent or not. */
const reshardRequest = fc.record({
  type: fc.constant('reshard'),
  totalShards: fc.integer({ min: 1, max: 64 }),
  shardIds: fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 12 }),
  nonce: fc.nat(),
});

/** A cluster whose `reshard` resolves for a usable layout and refuses any other, as the real one does. */
const reshardingCluster = (): Cluster => ({
  dispatch$: NEVER,
  fatal$: NEVER,
  ready$: NEVER,
  status$: NEVER,
  lifecycle$: NEVER,
  identifyQueue: { acquire: () => NEVER },
  statuses: () => [],
  sessions: () => [],
  layout: () => ({ totalShards: 1, shardIds: [0] }),
  connect: () => new Promise(() => {}),
  send: async () => {},
  reshard: async (layout) => {
    const to = checkLayout(layout);
    return { from: { totalShards: 1, shardIds: [0] }, to, identifies: to.shardIds.length, elapsedMs: 1, handoffMs: 0, duplicatesSuppressed: 0, recoveredFromNewSet: 0 };
  },
  prepareReshard: () => {
    throw new Error('not phased');
  },
  shutdown: async () => [],
});

test('every reshard, valid or not, gets exactly one reply by its nonce: resharded for a usable layout, an error otherwise; every reply is valid on the wire', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(reshardRequest, cloneable), { minLength: 1, maxLength: 12 }), async (messages) => {
      const inbound = new Subject<unknown>();
      const out: unknown[] = [];
      const transport: Transport = { send: (m) => out.push(m), messages$: inbound, close: async () => {} };
      bridgeCluster({ transport, pid: 1, createCluster: reshardingCluster });
      inbound.next({ type: 'start', protocol: 1, clusterId: 'p', shardIds: [0], totalShards: 1, token: TOKEN, intents: 0, gateway: { url: 'ws://127.0.0.1:1', maxConcurrency: 1 }, identify: 'local' });
      // one message at a time, nonces made unique so each reply can be told apart
      const requests = messages.map((m, i) => (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'reshard' ? { ...m, nonce: NONCE_BASE + i } : m));
      for (const message of requests) inbound.next(message);
      await new Promise((resolve) => setImmediate(resolve));
      inbound.complete();
      for (const [i, request] of requests.entries()) {
        if (E.isLeft(decodeMessage(TO_CLUSTER, request, TO_CLUSTER_LIMITS)) || (request as { type: string }).type !== 'reshard') continue;
        const replies = out.filter((m) => (m as { nonce?: number }).nonce === NONCE_BASE + i);
        if (replies.length !== 1) return false;
        const reply = replies[0] as ToControlMessage;
        const usable = layoutProblem(request) === null;
        if (usable ? reply.type !== 'resharded' : !(reply.type === 'error' && reply.code === 'reshard-failed' && reply.cause === 'RESHARD_REFUSED')) return false;
      }
      return out.every((m) => E.isRight(decodeMessage(TO_CONTROL, m, TO_CONTROL_LIMITS)));
    }),
    { numRuns: 300 },
  );
  t.pass();
});
