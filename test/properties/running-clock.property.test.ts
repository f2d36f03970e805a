import test from 'ava';
import fc from 'fast-check';
import { RunningClock } from '../../src/reshard/running-clock.js';

const PERIOD = 100;

/** Steps: the wall clock moves on by `advance` ms, then the owner ticks (`tick`) or only reads the clock. */
const stepsArb = fc.array(fc.record({ advance: fc.nat({ max: 5 * PERIOD }), tick: fc.boolean() }), { maxLength: 60 });

test('running time never goes back, never runs faster than the wall, and never runs more than one period past the last tick', (t) => {
  fc.assert(
    fc.property(stepsArb, fc.nat({ max: 30 }), (steps, stopAt) => {
      let wall = 1_000;
      const clock = new RunningClock(() => wall, PERIOD);
      let lastTickRunning = clock.now();
      let before = clock.now();
      let wallBefore = wall;
      let ticking = true;
      steps.forEach((step, i) => {
        if (i === stopAt) (clock.stopTicking(), (ticking = false), (lastTickRunning = clock.now()));
        wall += step.advance;
        if (step.tick) (clock.tick(), (lastTickRunning = ticking ? clock.now() : lastTickRunning));
        const now = clock.now();
        if (now < before) throw new Error(`went back from ${before} to ${now}`);
        if (now - before > wall - wallBefore) throw new Error(`ran ${now - before} ms in ${wall - wallBefore} ms of wall time`);
        if (ticking && now - lastTickRunning > PERIOD) throw new Error(`ran ${now - lastTickRunning} ms past the last tick`);
        if (now + clock.stalledMs !== wall && ticking && step.tick) throw new Error('after a tick, running time plus stalls is the wall time');
        before = now;
        wallBefore = wall;
      });
    }),
  );
  t.pass();
});

test('ticks on time count no stall; a late tick counts exactly its lateness', (t) => {
  let wall = 0;
  const clock = new RunningClock(() => wall, PERIOD);
  for (let i = 0; i < 10; i++) (wall += PERIOD), clock.tick();
  t.is(clock.stalledMs, 0);
  t.is(clock.now(), 1_000);
  wall += 3_000; // the process did not run for 2900 ms past the tick it owed
  t.is(clock.now(), 1_100, 'before the late tick: at most one period past the last one');
  clock.tick();
  t.is(clock.stalledMs, 2_900);
  t.is(clock.now(), 1_100);
  wall += PERIOD;
  clock.tick();
  t.is(clock.now(), 1_200);
});

test('once ticks stop, the clock follows the wall (minus the stalls seen)', (t) => {
  let wall = 0;
  const clock = new RunningClock(() => wall, PERIOD);
  wall += 1_000;
  clock.stopTicking();
  t.is(clock.stalledMs, 900);
  wall += 5_000;
  t.is(clock.now(), 5_100);
  clock.tick();
  t.is(clock.stalledMs, 900, 'a tick after the stop changes nothing');
});
