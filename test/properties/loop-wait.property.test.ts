import test from 'ava';
import fc from 'fast-check';
import { LoopWait } from '../../src/testing/gateway/loop-wait.js';

/** One stretch of a simulated event loop: it waits for I/O `idle` ms, then runs `busy` ms, reading frames at the offsets `reads`. */
interface Stretch {
  readonly idle: number;
  readonly busy: number;
  readonly reads: readonly number[];
}

const stretch: fc.Arbitrary<Stretch> = fc
  .record({ idle: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })), busy: fc.integer({ min: 1, max: 500 }) })
  .chain(({ idle, busy }) => fc.record({ idle: fc.constant(idle), busy: fc.constant(busy), reads: fc.array(fc.integer({ min: 0, max: busy }), { maxLength: 4 }).map((r) => [...r].sort((a, b) => a - b)) }));

test('for any loop of waits and busy stretches, a read is bounded by the last wait: never after it, and early by no more than the busy time since the read before', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(stretch, { minLength: 1, maxLength: 30 }), (stretches) => {
        let now = 0;
        let idleMs = 0;
        const wait = new LoopWait(() => ({ at: now, idleMs }));
        /** Busy time of the loop so far (time not spent waiting). */
        const busyAt = (at: number, idleSoFar: number) => at - idleSoFar;
        let lastWaitEnd = 0;
        let previousRead: { at: number; busy: number } = { at: 0, busy: 0 };
        let previousBound = 0;
        for (const s of stretches) {
          now += s.idle;
          idleMs += s.idle;
          if (s.idle > 0) lastWaitEnd = now;
          const start = now;
          for (const offset of s.reads) {
            now = start + offset;
            const bound = wait.earliestArrival();
            // a frame read now came after the loop last waited (it would have woken the wait): the bound is never later
            if (bound > lastWaitEnd) return false;
            // early by at most the loop's busy time between the read before and the end of the last wait
            if (lastWaitEnd > previousRead.at && bound < lastWaitEnd - (busyAt(lastWaitEnd, idleMs) - previousRead.busy)) return false;
            if (bound < previousBound) return false;
            previousBound = bound;
            previousRead = { at: now, busy: busyAt(now, idleMs) };
          }
          now = start + s.busy;
        }
        return true;
      }),
      { numRuns: 500 },
    ),
  );
});

test('a read after a stall is bounded by the wait before the stall; a read right after a wait, by that wait', (t) => {
  let now = 0;
  let idleMs = 0;
  const wait = new LoopWait(() => ({ at: now, idleMs }));
  // waits 1000 ms, reads at once
  now = idleMs = 1000;
  t.is(wait.earliestArrival(), 1000);
  // busy 300 ms (a stall), reads: the frame may have come any time since the wait ended
  now = 1300;
  t.is(wait.earliestArrival(), 1000);
  // waits 50 ms, runs 2 ms, reads: the wait ended 2 ms ago
  idleMs += 50;
  now = 1352;
  t.is(wait.earliestArrival(), 1350);
});
