import test from 'ava';
import fc from 'fast-check';
import { type BeatState, beatStep, INITIAL_BEAT_STATE } from '../../src/shard/heartbeat-step.js';

const INTERVAL = 10;
const LIMIT = 35;
const HORIZON = 200;

/**
 * Drives `beatStep` over ms `0..HORIZON`: at each ms the frames and ACKs of that ms arrive, then,
 * every INTERVAL (first at `offset`), a tick and its deferred check run. ACK `i` answers beat
 * `i` `delays[i]` ms after it went out (never, when undefined), in order, as TCP delivers them.
 */
const drive = (offset: number, frames: ReadonlySet<number>, delays: readonly (number | undefined)[]) => {
  let state: BeatState = INITIAL_BEAT_STATE;
  let inbound = false;
  const beats: number[] = [];
  const ackAt: number[] = [];
  let acked = 0;
  let zombieAt: number | undefined;
  /** At each tick before the verdict: the age of the oldest unanswered beat. */
  const agesAtTicks: number[] = [];
  /** Ticks that found a beat unanswered with nothing received since it went out. */
  const silentMisses: number[] = [];
  const apply = (input: 'tick' | 'check' | 'ack', t: number) => {
    state = beatStep(state, input, t, inbound, LIMIT);
    if (state.signal?.type === 'beat') {
      beats.push(t);
      inbound = false;
      const i = beats.length - 1;
      const delay = delays[i % delays.length];
      if (delay !== undefined) ackAt[i] = Math.max(t + delay, ackAt[i - 1] ?? 0);
    }
    if (state.signal?.type === 'zombie') zombieAt = t;
  };
  for (let t = 0; t <= HORIZON && zombieAt === undefined; t++) {
    if (frames.has(t)) inbound = true;
    while (ackAt[acked] !== undefined && ackAt[acked]! <= t && acked < beats.length) {
      acked++;
      apply('ack', t);
    }
    if (t >= offset && (t - offset) % INTERVAL === 0) {
      if (state.pending.length > 0) agesAtTicks.push(t - state.pending[0]!);
      if (state.pending.length > 0 && !inbound) silentMisses.push(t);
      apply('tick', t);
      if (state.signal?.type === 'suspect') apply('check', t);
    }
  }
  return { zombieAt, agesAtTicks, silentMisses };
};

const framesArb = fc.uniqueArray(fc.nat({ max: HORIZON }), { maxLength: 120 }).map((a) => new Set(a));
const delaysArb = fc.array(fc.option(fc.nat({ max: 60 }), { nil: undefined }), { minLength: 1, maxLength: 8 });

test('a storm is never a zombie: frames in every interval and every ACK within the limit', (t) => {
  fc.assert(
    fc.property(fc.nat({ max: INTERVAL - 1 }), fc.array(fc.nat({ max: LIMIT - 1 }), { minLength: 1, maxLength: 8 }), fc.nat({ max: INTERVAL - 1 }), (offset, delays, phase) => {
      // at least one frame in every interval, at an arbitrary phase
      const frames = new Set(Array.from({ length: HORIZON / INTERVAL + 1 }, (_, k) => k * INTERVAL + phase));
      return drive(offset, frames, delays).zombieAt === undefined;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('whatever arrives, no beat stays unanswered past the late ACK limit: the tick that finds it reports a zombie', (t) => {
  fc.assert(
    fc.property(fc.nat({ max: INTERVAL - 1 }), framesArb, delaysArb, (offset, frames, delays) => {
      const { zombieAt, agesAtTicks } = drive(offset, frames, delays);
      const overdue = agesAtTicks.findIndex((age) => age >= LIMIT);
      // a tick that found an overdue beat was the last one: the zombie verdict
      return overdue === -1 || (overdue === agesAtTicks.length - 1 && zombieAt !== undefined);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('with nothing received since the last beat, an unanswered beat is a zombie at that tick (as fast as without forgiveness)', (t) => {
  fc.assert(
    fc.property(fc.nat({ max: INTERVAL - 1 }), framesArb, delaysArb, (offset, frames, delays) => {
      const { zombieAt, silentMisses } = drive(offset, frames, delays);
      return silentMisses.length === 0 || (silentMisses.length === 1 && zombieAt === silentMisses[0]);
    }),
    { numRuns: 500 },
  );
  t.pass();
});
