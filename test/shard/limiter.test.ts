import test from 'ava';
import { createCommandLimiter } from '../../src/shard/limiter.js';
import type { CommandResult } from '../../src/shard/types.js';
import { virtualTime } from './marbles.js';

const setup = (t: Parameters<typeof virtualTime>[0], options: { limit?: number; windowMs?: number; heartbeatReserve?: number; maxQueued?: number } = {}) => {
  const ts = virtualTime(t);
  const limiter = createCommandLimiter({ scheduler: ts, ...options });
  const written: Array<[number, string]> = [];
  return { ts, limiter, written, write: (text: string) => written.push([ts.now(), text]) };
};

test('user commands wait for READY, then go in order after identify', (t) => {
  const { ts, limiter, written, write } = setup(t);
  ts.run(() => {
    limiter.attach(write);
    limiter.send('user', 'u1');
    limiter.send('user', 'u2');
    limiter.send('session', 'identify');
    t.deepEqual(written.map(([, x]) => x), ['identify']);
    limiter.openGate();
    t.deepEqual(written.map(([, x]) => x), ['identify', 'u1', 'u2']);
  });
});

test('never more than the limit in any sliding window; the rest wait for the window', (t) => {
  const { ts, limiter, written, write } = setup(t, { limit: 5, windowMs: 100, heartbeatReserve: 1 });
  ts.run(({ flush }) => {
    limiter.attach(write);
    limiter.openGate();
    for (let i = 0; i < 10; i++) limiter.send('user', `u${i}`);
    flush();
  });
  t.is(written.length, 10);
  t.deepEqual(written.map(([, x]) => x), Array.from({ length: 10 }, (_, i) => `u${i}`));
  t.deepEqual(written.map(([at]) => at), [0, 0, 0, 0, 105, 105, 105, 105, 210, 210]);
  for (const [at] of written) t.true(written.filter(([other]) => other > at - 105 && other <= at).length <= 5);
});

test('heartbeats never wait behind user commands: they use the reserve', (t) => {
  const { ts, limiter, written, write } = setup(t, { limit: 5, windowMs: 100, heartbeatReserve: 1 });
  ts.run(({ flush }) => {
    limiter.attach(write);
    limiter.openGate();
    for (let i = 0; i < 8; i++) limiter.send('user', `u${i}`);
    ts.schedule(() => limiter.send('heartbeat', 'hb'), 30);
    flush();
  });
  t.deepEqual(written.find(([, x]) => x === 'hb'), [30, 'hb']);
  t.is(written.length, 9);
});

test('a full queue refuses commands with a clear error; close refuses what waits', (t) => {
  const { ts, limiter, write } = setup(t, { maxQueued: 2 });
  const results: CommandResult[] = [];
  ts.run(() => {
    limiter.attach(write);
    for (let i = 0; i < 3; i++) limiter.send('user', `u${i}`, (r) => results.push(r));
    t.is(results.length, 1);
    t.is(results[0]!.ok ? '' : results[0]!.error.code, 'COMMAND_REJECTED');
    limiter.close(new (class extends Error {})() as never);
    t.is(results.length, 3);
    t.false(results[1]!.ok);
  });
});

test('a new connection starts a fresh window and shuts the gate; user commands survive', (t) => {
  const { ts, limiter, written, write } = setup(t, { limit: 3, windowMs: 100, heartbeatReserve: 1 });
  ts.run(() => {
    limiter.attach(write);
    limiter.openGate();
    limiter.send('user', 'a');
    limiter.send('user', 'b');
    limiter.send('user', 'c');
    limiter.detach();
    limiter.attach(write);
    t.is(limiter.inWindow, 0);
    limiter.send('session', 'resume');
    limiter.openGate();
  });
  t.deepEqual(written.map(([, x]) => x), ['a', 'b', 'resume', 'c']);
});

test('at most one heartbeat waits for the window: a newer one takes its place, and sendHeartbeat says when it was written late', (t) => {
  const { ts, limiter, written, write } = setup(t, { limit: 2, windowMs: 100, heartbeatReserve: 1 });
  const late: number[] = [];
  const clock = { sent: () => late.push(ts.now()) };
  const now: boolean[] = [];
  ts.run(({ flush }) => {
    limiter.attach(write);
    for (let i = 0; i < 5; i++) ts.schedule(() => now.push(limiter.sendHeartbeat(`hb${i}`, clock)), i * 10);
    flush();
  });
  t.deepEqual(now, [true, true, false, false, false]);
  // the window (100 ms + 5 %) opens at 105: only the newest of the three held back is written, once
  t.deepEqual(written, [[0, 'hb0'], [10, 'hb1'], [105, 'hb4']]);
  t.deepEqual(late, [105]);
});
