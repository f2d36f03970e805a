import test from 'ava';
import fc from 'fast-check';
import { beforeIdentify, IDENTIFY_LOOP_DEFAULTS, identifyStarted, initialLoopState, readyReached } from '../../src/shard/identify-loop-guard.js';
import type { IdentifyLoopConfig } from '../../src/shard/types.js';

const HOUR = 3_600_000;

/**
 * One connection that identified, as any gateway or bug might end it: how long after its start it
 * became READY (never, if undefined), how long after its start it ended, and how long the shard's
 * own backoff (and queue) waited before the next identify on top of the guard's wait.
 */
const connectionArb = fc.record({
  readyAfter: fc.option(fc.nat({ max: 180_000 }), { nil: undefined }),
  endsAfter: fc.nat({ max: 240_000 }),
  backoff: fc.nat({ max: 60_000 }),
  /** the connection ended with a resume first (more time, same identify) */
  resumedFor: fc.option(fc.nat({ max: 120_000 }), { nil: undefined }),
});

const configArb: fc.Arbitrary<IdentifyLoopConfig> = fc.oneof(
  fc.constant(IDENTIFY_LOOP_DEFAULTS),
  fc.record({
    maxUnheld: fc.integer({ min: 1, max: 6 }),
    windowMs: fc.integer({ min: 10_000, max: 900_000 }),
    holdMs: fc.integer({ min: 1_000, max: 120_000 }),
    pauseMs: fc.integer({ min: 1_000, max: 300_000 }).chain((initial) => fc.record({ initial: fc.constant(initial), max: fc.integer({ min: initial, max: 1_800_000 }) })),
  }),
);

/** Runs the plan through the guard as the shard does, on a clock of its own; returns when each identify started and how many pauses were reported. */
const simulate = (plan: readonly (typeof connectionArb extends fc.Arbitrary<infer T> ? T : never)[], config: IdentifyLoopConfig) => {
  let state = initialLoopState;
  let now = 0;
  const starts: number[] = [];
  let pauses = 0;
  plan.forEach((c, i) => {
    if (i > 0) {
      const verdict = beforeIdentify(state, now, config);
      state = verdict.state;
      if (verdict.loop !== null) pauses++;
      now += verdict.waitMs;
    }
    now += c.backoff;
    starts.push(now);
    state = identifyStarted(state, now, config);
    if (c.readyAfter !== undefined && c.readyAfter <= c.endsAfter) state = readyReached(state, now + c.readyAfter);
    now += c.endsAfter + (c.resumedFor ?? 0);
  });
  return { starts, pauses };
};

/** The most starts within any interval of `span`. */
const mostWithin = (starts: readonly number[], span: number): number => {
  let most = 0;
  for (let i = 0, j = 0; j < starts.length; j++) {
    while (starts[j]! - starts[i]! >= span) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
};

/** What the guard promises per window: `maxUnheld` unheld identifies, and held ones at most one per `holdMs` plus one. */
const perWindow = (c: IdentifyLoopConfig): number => c.maxUnheld + Math.floor(c.windowMs / c.holdMs) + 1;

test('identifies spent per hour stay bounded, whatever the sequence of connection ends', (t) => {
  fc.assert(
    fc.property(configArb, fc.array(connectionArb, { minLength: 1, maxLength: 300 }), (config, plan) => {
      const { starts } = simulate(plan, config);
      t.true(mostWithin(starts, config.windowMs) <= perWindow(config));
      return mostWithin(starts, HOUR) <= Math.ceil(HOUR / config.windowMs) * perWindow(config);
    }),
    { numRuns: 500 },
  );
});

test('a shard that never holds READY spends at most maxUnheld identifies per window', (t) => {
  fc.assert(
    fc.property(
      configArb,
      fc.array(fc.record({ readyAfter: fc.option(fc.nat({ max: 1_000 }), { nil: undefined }), endsAfter: fc.nat({ max: 1_000 }), backoff: fc.nat({ max: 5_000 }) }), { minLength: 1, maxLength: 200 }),
      (config, plan) => {
        // every READY lasts less than holdMs: the connection ends first
        const unheld = plan.map((c) => ({ ...c, endsAfter: Math.min(c.endsAfter, config.holdMs - 1), readyAfter: c.readyAfter === undefined ? undefined : Math.min(c.readyAfter, config.holdMs - 1), resumedFor: undefined }));
        const { starts } = simulate(unheld, config);
        return mostWithin(starts, config.windowMs) <= config.maxUnheld;
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('with the defaults, a loop of identifies that never hold: 3 in the first minutes, then pauses growing to 15 minutes', (t) => {
  const plan = Array.from({ length: 40 }, () => ({ readyAfter: 100, endsAfter: 500, backoff: 300, resumedFor: undefined }));
  const { starts, pauses } = simulate(plan, IDENTIFY_LOOP_DEFAULTS);
  t.is(pauses, plan.length - 3, 'every identify after the first three was a reported pause');
  const firstHour = starts.filter((s) => s < HOUR).length;
  t.true(firstHour <= 3 + 5, `identifies in the first hour: ${firstHour}`);
  const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
  t.true(gaps.slice(-5).every((g) => g >= 900_000), 'the pause reaches its 15-minute cap');
  t.true(mostWithin(starts, 24 * HOUR) <= 3 + 24 * 4 + 4, `a day: ${mostWithin(starts, 24 * HOUR)}`);
});

test('an identify that holds READY for holdMs ends the streak: the next loop starts its pauses from the initial one', (t) => {
  let state = initialLoopState;
  const c = IDENTIFY_LOOP_DEFAULTS;
  for (let i = 0; i < 3; i++) state = identifyStarted(state, i * 1_000, c);
  let verdict = beforeIdentify(state, 3_000, c);
  t.deepEqual(verdict.loop, { identifies: 3, windowMs: c.windowMs });
  t.is(verdict.waitMs, 300_000 - 3_000); // until the oldest of the three leaves the window
  state = identifyStarted(verdict.state, 3_000 + verdict.waitMs, c);
  state = readyReached(state, 3_000 + verdict.waitMs + 100);
  verdict = beforeIdentify(state, 3_000 + verdict.waitMs + 100 + c.holdMs, c);
  t.is(verdict.waitMs, 0);
  t.is(verdict.state.pauses, 0);
});
