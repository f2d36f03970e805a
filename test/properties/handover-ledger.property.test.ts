import test from 'ava';
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { createMemoryHandoverLedger } from '../../src/reshard/memory-ledger.js';
import type { HandoverSide } from '../../src/reshard/ledger.js';
import { isDisclusterError } from '../../src/gateway/errors.js';

/**
 * A multiset of keys (each with its old and new copy counts) and an interleaving of their
 * offers: every copy is one item, shuffled, then cut into batches of consecutive items of one side.
 */
const scenarioArb = fc
  .array(fc.record({ old: fc.nat({ max: 4 }), new: fc.nat({ max: 4 }) }), { minLength: 1, maxLength: 8 })
  .chain((copies) => {
    const items = copies.flatMap((c, key) => [...Array<HandoverSide>(c.old).fill('old'), ...Array<HandoverSide>(c.new).fill('new')].map((side) => ({ key: `k${key}`, side })));
    return fc.record({
      copies: fc.constant(copies),
      order: fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }),
      cuts: fc.array(fc.boolean(), { minLength: items.length, maxLength: items.length }),
    });
  });

test('any interleaving of old and new offers: exactly max(old, new) copies admitted per key, after every batch; the first copy of a key at once', async (t) => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ copies, order, cuts }) => {
      const ledger = createMemoryHandoverLedger({ windowMs: 60_000, scheduler: new VirtualTimeScheduler() });
      const seen = new Map<string, { old: number; new: number; admitted: number }>();
      // batches: runs of one side, cut where `cuts` says
      const batches: { side: HandoverSide; keys: string[] }[] = [];
      order.forEach(({ key, side }, i) => {
        const last = batches.at(-1);
        if (last !== undefined && last.side === side && !cuts[i]) last.keys.push(key);
        else batches.push({ side, keys: [key] });
      });
      for (const { side, keys } of batches) {
        const verdicts = await ledger.offer(side, keys);
        t.is(verdicts.length, keys.length);
        keys.forEach((key, i) => {
          const counts = seen.get(key) ?? { old: 0, new: 0, admitted: 0 };
          if (counts.old + counts.new === 0) t.true(verdicts[i], 'the first copy of a key is admitted');
          counts[side]++;
          if (verdicts[i]) counts.admitted++;
          seen.set(key, counts);
          t.is(counts.admitted, Math.max(counts.old, counts.new), 'admitted so far = max of the copies so far');
        });
      }
      copies.forEach((c, key) => t.is(seen.get(`k${key}`)?.admitted ?? 0, Math.max(c.old, c.new)));
      await ledger.close();
    }),
    { numRuns: 1000 },
  );
});

test('counts are forgotten windowMs after the last offer of a key, by the timer as well as on an offer', async (t) => {
  const scheduler = new VirtualTimeScheduler();
  /** Runs the timers due within `ms` and moves the clock by exactly `ms`. */
  const advance = (ms: number) => {
    scheduler.maxFrames = scheduler.frame + ms;
    scheduler.schedule(() => {}, ms);
    scheduler.flush();
  };
  const ledger = createMemoryHandoverLedger({ windowMs: 1_000, scheduler });
  t.deepEqual(ledger.decide('old', ['a', 'b']), [true, true]);
  advance(600);
  t.deepEqual(ledger.decide('new', ['a']), [false], "b's twin is still matched inside the window");
  advance(500); // b: 1100 ms after its offer; a: 500 ms after its last
  t.is(ledger.size, 1, 'the timer forgot b, kept a');
  t.deepEqual(ledger.decide('new', ['b']), [true], 'a copy of a forgotten key is a first copy again');
  advance(1_000);
  t.is(ledger.size, 0, 'nothing left after a quiet window');
  await ledger.close();
  t.is(scheduler.actions.length, 0, 'no timer left after close');
});

test('a closed ledger refuses offers with LEDGER_UNREACHABLE; windowMs is checked', async (t) => {
  const ledger = createMemoryHandoverLedger({ windowMs: 10 });
  t.deepEqual(await ledger.offer('new', ['x', 'x']), [true, true], 'two copies of one side are two events');
  await ledger.close();
  const error = await t.throwsAsync(ledger.offer('old', ['x']));
  t.true(isDisclusterError(error, 'LEDGER_UNREACHABLE'));
  t.throws(() => createMemoryHandoverLedger({ windowMs: 0 }), { message: /windowMs must be a positive integer/ });
});
