import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { decodeMessage, TO_CONTROL_LIMITS } from '../../src/control/decode.js';
import { MAX_STATS_EVENT_NAMES, TO_CONTROL } from '../../src/control/to-control.js';

const shard = (extra: Record<string, unknown>) => ({ shardId: 0, status: 'ready', latencyMs: 1, seq: 2, events: 3, lastCloseCode: null, fatal: false, ...extra });
const stats = (extra: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  type: 'stats',
  nonce: 1,
  clusterId: 'c',
  shards: [shard(extra)],
  memory: { rss: 1, heapUsed: 1, heapTotal: 1, external: 1 },
  eventLoopLagMs: 0,
  uptimeMs: 1,
  ...top,
});
const decodes = (message: unknown) => E.isRight(decodeMessage(TO_CONTROL, message, TO_CONTROL_LIMITS));

test('stats: the counters are optional, and checked when present', (t) => {
  t.true(decodes(stats({})), 'a cluster of an earlier version, without counters');
  t.true(decodes(stats({ dispatches: { READY: 1, other: 2 }, reconnects: { resume: 1, identify: 0, unreachable: 2 }, sessionsLost: 0, fatalKinds: { auth: 1 } }, { identifyWaiting: 3 })));
  t.true(decodes(stats({ messagesDropped: { 'too-large': 2 }, identifyLoopPauses: 1 })));
  t.false(decodes(stats({ identifyLoopPauses: -1 })));
  t.false(decodes(stats({ dispatches: { READY: -1 } })), 'a negative count');
  t.false(decodes(stats({ dispatches: { '': 1 } })), 'an empty event name');
  t.false(decodes(stats({ dispatches: { ['X'.repeat(65)]: 1 } })), 'an event name over 64 characters');
  t.false(decodes(stats({ dispatches: Object.fromEntries(Array.from({ length: MAX_STATS_EVENT_NAMES + 1 }, (_, i) => [`E${i}`, 1])) })), 'too many names');
  t.false(decodes(stats({ reconnects: { resume: 1 } })), 'a reconnect kind missing');
  t.false(decodes(stats({ fatalKinds: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 1])) })), 'too many fatal kinds');
  t.false(decodes(stats({}, { identifyWaiting: 1.5 })));
});
