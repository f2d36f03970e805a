import test from 'ava';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { Subject } from 'rxjs';
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
    fc.record({ type: fc.constantFrom('start', 'command', 'ping', 'stats', 'shutdown', 'identify-grant', 'nope'), nonce: tie('value'), token: tie('value') }),
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
