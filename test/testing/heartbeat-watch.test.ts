import test from 'ava';
import fc from 'fast-check';
import { watchStep } from '../../src/testing/gateway/heartbeat-watch.js';
import { stall } from '../helpers/markers.js';
import { connect, emulator } from './helpers.js';


test('a heartbeat that waited unread while the emulator was stalled past the deadline still counts (20 times in a row)', async (t) => {
  const gw = await emulator(t, { heartbeatInterval: 50, heartbeatTimeoutMs: 100 });
  const c = await connect(gw.url);
  await c.frame((f) => f.op === 10);
  for (let round = 1; round <= 20; round++) {
    // The heartbeat reaches the emulator's socket at once; the emulator reads it only after the
    // stall, and by then its watchdog's deadline has passed.
    c.send({ op: 1, d: null });
    stall(150); // the emulator stalled (it runs in this process)
    await c.frame((f) => f.op === 11 && c.frames.filter((x) => x.op === 11).length === round);
    t.deepEqual(gw.violations, [], `round ${round}`);
  }
  // A client that really stops heartbeating is still timed out.
  t.is((await c.closed).code, 4009);
  t.is(gw.violations[0]?.rule, 'heartbeat-timeout');
});

test('watchStep: waits exactly until the deadline, and times out only when the socket was read after the deadline passed', (t) => {
  fc.assert(
    fc.property(
      fc.nat(1_000_000),
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer({ min: -100_000, max: 100_000 }),
      fc.option(fc.integer({ min: -100_000, max: 0 })),
      (last, timeoutMs, offset, sinceBeforeNow) => {
        const now = last + timeoutMs + offset;
        const lookAgainSince = sinceBeforeNow === null ? undefined : now + sinceBeforeNow;
        const step = watchStep({ now, lastHeartbeatAt: last, timeoutMs, lookAgainSince });
        if (offset < 0) return step.kind === 'wait' && now + step.inMs === last + timeoutMs;
        const readAfterDeadline = lookAgainSince !== undefined && lookAgainSince >= last + timeoutMs;
        return step.kind === (readAfterDeadline ? 'timed-out' : 'look-again');
      },
    ),
  );
  t.pass();
});

/**
 * A model of Node's event loop driving `watchStep` as the emulator's connection does: each turn
 * runs due timers, then reads the socket (poll; where a stall's work runs, after the read), then
 * immediates. Heartbeats sent during a stall are read on the next turn, after its timers: the
 * order in which a watchdog without its second look timed out a live client.
 */
const simulate = (timeoutMs: number, sends: readonly number[], stalls: readonly { at: number; ms: number }[], horizon: number) => {
  let now = 0;
  let lastHeartbeatAt = 0;
  let read = 0;
  let timer: number | undefined = timeoutMs;
  let immediate: number | undefined;
  let nextStall = 0;
  const look = (lookAgainSince: number | undefined): number | undefined => {
    const step = watchStep({ now, lastHeartbeatAt, timeoutMs, lookAgainSince });
    if (step.kind === 'timed-out') return now;
    if (step.kind === 'look-again') immediate = now;
    else timer = now + step.inMs;
    return undefined;
  };
  while (now <= horizon) {
    let timedOutAt: number | undefined;
    if (timer !== undefined && timer <= now) (timer = undefined), (timedOutAt = look(undefined));
    if (timedOutAt !== undefined) return { timedOutAt, lastHeartbeatAt };
    let advanced = false;
    if (read < sends.length && sends[read]! <= now) {
      while (read < sends.length && sends[read]! <= now) read++;
      lastHeartbeatAt = now;
    }
    const stall = stalls[nextStall];
    if (stall !== undefined && stall.at <= now) (now += stall.ms), nextStall++, (advanced = true);
    const since = immediate;
    if (since !== undefined) (immediate = undefined), (timedOutAt = look(since));
    if (timedOutAt !== undefined) return { timedOutAt, lastHeartbeatAt };
    if (!advanced) now++;
  }
  return { timedOutAt: undefined, lastHeartbeatAt };
};

const scenario = fc.integer({ min: 5, max: 200 }).chain((timeoutMs) =>
  fc.record({
    timeoutMs: fc.constant(timeoutMs),
    gaps: fc.array(fc.integer({ min: 1, max: timeoutMs - 1 }), { minLength: 1, maxLength: 30 }),
    stalls: fc.array(fc.record({ gap: fc.nat(3 * timeoutMs), ms: fc.integer({ min: 1, max: 5 * timeoutMs }) }), { maxLength: 8 }),
  }),
);

test('property: however the loop stalls, a client heartbeating within the timeout is never timed out, and one that stops is timed out on time', (t) => {
  fc.assert(
    fc.property(scenario, ({ timeoutMs, gaps, stalls: stallGaps }) => {
      const sends = gaps.reduce<number[]>((at, gap) => [...at, (at.at(-1) ?? 0) + gap], []);
      const lastSend = sends.at(-1)!;
      const stalls = stallGaps
        .reduce<{ at: number; ms: number }[]>((acc, s) => [...acc, { at: (acc.at(-1)?.at ?? 0) + (acc.at(-1)?.ms ?? 0) + s.gap, ms: s.ms }], [])
        .filter((s) => s.at <= lastSend);
      const stallsEnd = stalls.reduce((end, s) => Math.max(end, s.at + s.ms), 0);
      // While the client heartbeats (until its last send is read), no verdict.
      const { timedOutAt, lastHeartbeatAt } = simulate(timeoutMs, sends, stalls, Math.max(lastSend, stallsEnd) + 3 * timeoutMs);
      if (timedOutAt === undefined) return false;
      const lastRead = lastHeartbeatAt;
      if (lastRead < lastSend) return false; // timed out while heartbeats were still coming
      // Never before the deadline, and no later than the turn after it (or after a stall it fell in).
      return timedOutAt >= lastRead + timeoutMs && timedOutAt <= Math.max(lastRead + timeoutMs, stallsEnd) + 1;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
