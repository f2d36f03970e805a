import test from 'ava';
import fc from 'fast-check';
import { beforeIdentify, connectionEnded, IDENTIFY_LOOP_DEFAULTS, identifyStarted, initialLoopState, readyReached } from '../../src/shard/identify-loop-guard.js';
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
  /** then resumes of the same session: each ready for a while (or never), then ended */
  resumes: fc.array(fc.record({ after: fc.nat({ max: 30_000 }), readyFor: fc.option(fc.nat({ max: 120_000 }), { nil: undefined }) }), { maxLength: 4 }),
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
    now += c.endsAfter;
    state = connectionEnded(state, now, config);
    for (const r of c.resumes) {
      now += r.after;
      if (r.readyFor !== undefined) {
        state = readyReached(state, now);
        now += r.readyFor;
      }
      state = connectionEnded(state, now, config);
    }
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

/** What the guard promises per window: unheld identifies `maxUnheld` plus one per pause, held ones at most one per `holdMs`, plus one each. */
const perWindow = (c: IdentifyLoopConfig): number => c.maxUnheld + Math.floor(c.windowMs / c.pauseMs.initial) + 1 + Math.floor(c.windowMs / c.holdMs) + 1;
/** Unheld identifies alone. */
const unheldPerWindow = (c: IdentifyLoopConfig): number => c.maxUnheld + Math.floor(c.windowMs / c.pauseMs.initial) + 1;

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

test('a shard that never holds READY spends at most maxUnheld identifies per window, plus one per pause', (t) => {
  fc.assert(
    fc.property(
      configArb,
      fc.array(fc.record({ readyAfter: fc.option(fc.nat({ max: 1_000 }), { nil: undefined }), endsAfter: fc.nat({ max: 1_000 }), backoff: fc.nat({ max: 5_000 }) }), { minLength: 1, maxLength: 200 }),
      (config, plan) => {
        // every READY lasts less than holdMs: the connection ends first
        // every connection ends in less than holdMs: resumes that fail take as long as they like
        const unheld = plan.map((c) => ({ ...c, endsAfter: Math.min(c.endsAfter, config.holdMs - 1), resumes: [{ after: c.endsAfter * 10, readyFor: undefined }] }));
        const { starts } = simulate(unheld, config);
        return mostWithin(starts, config.windowMs) <= unheldPerWindow(config);
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('with the defaults, a loop of identifies that never hold: 3 in the first minutes, then pauses growing to 15 minutes', (t) => {
  // READY, then the connection dies at once and three resumes fail within seconds: unheld every time
  const plan = Array.from({ length: 40 }, () => ({ readyAfter: 100, endsAfter: 500, backoff: 300, resumes: [{ after: 2_000, readyFor: undefined }, { after: 2_000, readyFor: undefined }, { after: 2_000, readyFor: undefined }] }));
  const { starts, pauses } = simulate(plan, IDENTIFY_LOOP_DEFAULTS);
  t.true(pauses >= plan.length - 5, `pauses reported: ${pauses} of ${plan.length - 1} later identifies`);
  const firstHour = starts.filter((s) => s < HOUR).length;
  t.true(firstHour <= 3 + 6, `identifies in the first hour: ${firstHour}`);
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
  t.is(verdict.waitMs, c.pauseMs.initial);
  state = identifyStarted(verdict.state, 3_000 + verdict.waitMs, c);
  state = readyReached(state, 3_000 + verdict.waitMs + 100);
  verdict = beforeIdentify(state, 3_000 + verdict.waitMs + 100 + c.holdMs, c);
  // the three unheld ones are still in the window: a pause, but the initial one again, not doubled
  t.is(verdict.waitMs, c.pauseMs.initial);
  t.is(verdict.state.pauses, 1);
});
