import test from 'ava';
import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { HeartbeatClock, type HeartbeatSignal } from '../../src/shard/heartbeat.js';
import { createCommandLimiter } from '../../src/shard/limiter.js';

const HORIZON = 3_000;

interface Gateway {
  /** The gateway answers beats written before this time (Infinity: all of them). */
  readonly silentFrom: number;
  readonly ackDelayMs: number;
}

/**
 * One connection in virtual time: a `HeartbeatClock` whose beats go through the shard's real
 * send limiter, and a gateway that ACKs every beat it is written `ackDelayMs` later (none after
 * `silentFrom`). No other frame arrives, so nothing but ACKs can forgive a late one.
 */
const drive = (intervalMs: number, limit: number, windowMs: number, gateway: Gateway) => {
  const ts = new TestScheduler(() => undefined);
  const written: number[] = [];
  let zombieAt: number | undefined;
  ts.run(({ flush }) => {
    const limiter = createCommandLimiter({ scheduler: ts, limit, windowMs, heartbeatReserve: 1 });
    let clock: HeartbeatClock | undefined;
    limiter.attach(() => {
      const at = ts.now();
      written.push(at);
      if (at < gateway.silentFrom) ts.schedule(() => clock?.ack(), gateway.ackDelayMs);
    });
    clock = new HeartbeatClock(intervalMs, ts, () => 0.5, {
      heartbeatSignal: (signal: HeartbeatSignal) => {
        if (signal.type === 'beat') return limiter.sendHeartbeat('{"op":1}', clock!);
        if (signal.type === 'zombie') zombieAt = ts.now();
        return undefined;
      },
    });
    ts.schedule(() => {
      clock?.stop();
      limiter.detach();
    }, HORIZON);
    flush();
  });
  return { written, zombieAt };
};

const intervalArb = fc.integer({ min: 4, max: 60 });
const limitArb = fc.integer({ min: 2, max: 10 });
const windowArb = fc.integer({ min: 50, max: 1_000 });

test('beats held back by the send limit are never taken for unanswered ones: a gateway that answers every beat it gets is never a zombie, and no window holds more than the limit', (t) => {
  fc.assert(
    fc.property(intervalArb, limitArb, windowArb, fc.nat({ max: 100 }), (intervalMs, limit, windowMs, delayPct) => {
      const ackDelayMs = Math.floor(((intervalMs - 1) * delayPct) / 100);
      const { written, zombieAt } = drive(intervalMs, limit, windowMs, { silentFrom: Infinity, ackDelayMs });
      const window = Math.ceil(windowMs * 1.05);
      const withinLimit = written.every((at) => written.filter((other) => other > at - window && other <= at).length <= limit);
      return zombieAt === undefined && withinLimit && written.length > 0;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('a gateway that goes silent is still a zombie, within one interval of the first beat written to it that it leaves unanswered, however long the limit held that beat', (t) => {
  fc.assert(
    fc.property(intervalArb, limitArb, windowArb, fc.integer({ min: 0, max: HORIZON / 2 }), (intervalMs, limit, windowMs, silentFrom) => {
      const { written, zombieAt } = drive(intervalMs, limit, windowMs, { silentFrom, ackDelayMs: 0 });
      const firstUnanswered = written.find((at) => at >= silentFrom);
      if (firstUnanswered === undefined) return zombieAt === undefined; // the limit held every beat past the horizon
      return zombieAt !== undefined && zombieAt > firstUnanswered && zombieAt <= firstUnanswered + intervalMs;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
