import test from 'ava';
import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { createCommandLimiter, type SendPriority } from '../../src/shard/limiter.js';

const LIMIT = 10;
const WINDOW = 1000;
const EFFECTIVE_WINDOW = 1050;

const scheduleArb = fc.array(
  fc.record({ at: fc.nat({ max: 5000 }), priority: fc.constantFrom<SendPriority>('user', 'user', 'user', 'session'), count: fc.integer({ min: 1, max: 15 }) }),
  { maxLength: 30 },
);

/** Heartbeats at least half a window apart, as the heartbeat interval guarantees in practice. */
const heartbeatsArb = fc.array(fc.nat({ max: 10 }), { maxLength: 8 }).map((gaps) => {
  let at = 0;
  return gaps.map((gap) => (at += WINDOW / 2 + gap * 37));
});

test('under any schedule of sends, no sliding window holds more than the limit, and heartbeats never wait', (t) => {
  fc.assert(
    fc.property(scheduleArb, heartbeatsArb, fc.integer({ min: 0, max: 3000 }), (sends, heartbeats, readyAt) => {
      const ts = new TestScheduler(() => true);
      const written: Array<{ at: number; text: string }> = [];
      const heartbeatDelays: number[] = [];
      ts.run(({ flush }) => {
        const limiter = createCommandLimiter({ scheduler: ts, limit: LIMIT, windowMs: WINDOW, heartbeatReserve: 3, maxQueued: 100_000 });
        limiter.attach((text) => written.push({ at: ts.now(), text }));
        ts.schedule(() => limiter.openGate(), readyAt);
        for (const { at, priority, count } of sends) {
          ts.schedule(() => {
            for (let i = 0; i < count; i++) limiter.send(priority, priority);
          }, at);
        }
        for (const at of heartbeats) {
          ts.schedule(() => {
            const asked = ts.now();
            limiter.send('heartbeat', 'heartbeat', () => heartbeatDelays.push(ts.now() - asked));
          }, at);
        }
        flush();
      });
      for (const { at } of written) {
        const inWindow = written.filter((w) => w.at > at - EFFECTIVE_WINDOW && w.at <= at).length;
        if (inWindow > LIMIT) return false;
      }
      const users = written.filter((w) => w.text === 'user');
      if (users.some((w) => w.at < readyAt)) return false;
      return heartbeatDelays.every((delay) => delay === 0) && heartbeatDelays.length === heartbeats.length;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
