import test from 'ava';
import { nextStep } from '../../src/shard/session.js';
import { essentialEnd, judgeUnreadable } from '../../src/shard/unreadable.js';

const running = { helloSeen: true, awaitingReady: false };

test('an unreadable dispatch is skipped with what its ends showed; other ops too', (t) => {
  t.deepEqual(judgeUnreadable({ op: 0, t: 'GUILD_CREATE', s: 4 }, running), { type: 'skip', known: { t: 'GUILD_CREATE', s: 4 } });
  t.deepEqual(judgeUnreadable({}, running), { type: 'skip', known: {} });
  t.deepEqual(judgeUnreadable({ op: 11 }, running), { type: 'skip', known: {} });
  // during a resume's replay, a message whose ends tell nothing is a replayed dispatch: skipped
  t.deepEqual(judgeUnreadable({}, { helloSeen: true, awaitingReady: false }), { type: 'skip', known: {} });
});

test('Hello, READY and RESUMED are essential; so is a message of unknown kind while Hello or READY is awaited', (t) => {
  t.deepEqual(judgeUnreadable({ op: 10 }, running), { type: 'essential', what: 'Hello' });
  t.deepEqual(judgeUnreadable({ op: 0, t: 'READY', s: 1 }, running), { type: 'essential', what: 'READY' });
  t.deepEqual(judgeUnreadable({ op: 0, t: 'RESUMED', s: 9 }, running), { type: 'essential', what: 'RESUMED' });
  t.deepEqual(judgeUnreadable({}, { helloSeen: false, awaitingReady: false }), { type: 'essential', what: 'Hello' });
  t.deepEqual(judgeUnreadable({}, { helloSeen: true, awaitingReady: true }), { type: 'essential', what: 'READY' });
});

test('the same essential failure twice in a row is fatal (unreadable); once, or two different ones, is retried', (t) => {
  const first = essentialEnd('READY', 'too-large, 9000000 bytes', null);
  t.deepEqual(nextStep(first.end, false, 0), { type: 'identify', lost: null });
  const second = essentialEnd('READY', 'too-large, 9000000 bytes', first.signature);
  const step = nextStep(second.end, false, 0);
  t.like(step, { type: 'fatal', code: null, kind: 'unreadable' });
  const other = essentialEnd('Hello', 'invalid-json, 20 bytes', first.signature);
  t.deepEqual(nextStep(other.end, true, 0), { type: 'resume' });
});
