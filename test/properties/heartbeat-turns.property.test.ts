import test from 'ava';
import fc from 'fast-check';
import { type SchedulerAction, type SchedulerLike, type Subscription, VirtualTimeScheduler } from 'rxjs';
import { HeartbeatClock } from '../../src/shard/heartbeat.js';

const HORIZON = 400;

/**
 * Virtual time whose turns take time: work scheduled for "now" (the verdict's one-turn wait) runs
 * the next of `turns` ms later, as on a busy event loop where one turn of reading lasts that long.
 */
class SlowTurns implements SchedulerLike {
  private next = 0;
  constructor(
    readonly inner: VirtualTimeScheduler,
    private readonly turns: readonly number[],
  ) {}

  now(): number {
    return this.inner.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const late = delay === 0 ? this.turns[this.next++ % this.turns.length]! : delay;
    return this.inner.schedule(work, late, state);
  }
}

/**
 * One connection whose ACKs all wait behind a storm (none comes), frames arriving at `frames`
 * (ms), every deferred check a turn of `turns` late: the beats written and the zombie verdict.
 */
const drive = (intervalMs: number, frames: readonly number[], turns: readonly number[]) => {
  const inner = new VirtualTimeScheduler();
  const scheduler = new SlowTurns(inner, turns);
  const beats: number[] = [];
  let zombieAt: number | undefined;
  const clock = new HeartbeatClock(intervalMs, scheduler, () => 0.5, {
    heartbeatSignal: (signal) => {
      if (signal.type === 'beat') beats.push(inner.now());
      if (signal.type === 'zombie') zombieAt = inner.now();
    },
  });
  for (const at of frames) inner.schedule(() => clock.inbound(), at);
  inner.schedule(() => clock.stop(), HORIZON);
  inner.flush();
  return { beats, zombieAt };
};

const intervalArb = fc.integer({ min: 4, max: 40 });

test('every beat has a whole interval before a tick judges it, however long the turn its check waits: a zombie verdict comes an interval or more after the last beat, with nothing received since', (t) => {
  fc.assert(
    fc.property(
      intervalArb,
      fc.uniqueArray(fc.nat({ max: HORIZON }), { maxLength: 80 }),
      fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 6 }),
      (intervalMs, frames, turnPcts) => {
        const turns = turnPcts.map((pct) => Math.floor((intervalMs * pct) / 41));
        const halfway = frames.map((at) => at + 0.5); // never at the same time as a tick or a check
        const { beats, zombieAt } = drive(intervalMs, halfway, turns);
        if (zombieAt === undefined) return true;
        const lastBeat = beats.filter((at) => at <= zombieAt).at(-1) ?? 0;
        const silent = !halfway.some((at) => at > lastBeat && at < zombieAt);
        return silent && zombieAt - lastBeat >= intervalMs;
      },
    ),
    { numRuns: 1_000 },
  );
  t.pass();
});

test('a listener that stops the clock while it writes the beat a check let go leaves no timer behind', (t) => {
  const inner = new VirtualTimeScheduler(undefined, HORIZON);
  const scheduler = new SlowTurns(inner, [5]);
  const signals: string[] = [];
  const clock: HeartbeatClock = new HeartbeatClock(10, scheduler, () => 0.5, {
    heartbeatSignal: (signal) => {
      signals.push(`${signal.type}@${inner.now()}`);
      if (signal.type === 'beat' && signals.length === 2) clock.stop(); // the connection ended as the beat went out
    },
  });
  inner.schedule(() => clock.inbound(), 17); // nothing from 5 to the tick at 15; a frame read in the check's turn
  inner.flush();
  t.deepEqual(signals, ['beat@5', 'beat@20']);
  t.false(clock.running);
  t.is(inner.actions.length, 0, 'no tick scheduled after stop()');
});
