import test from 'ava';
import fc from 'fast-check';
import { PendingQueue } from '../../src/broker/pending-queue.js';

/** One step: an entry arrives, a pipeline takes a batch, or Redis answers the batch in flight (ok or failed). */
const stepArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'push' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'failed' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const), retry: fc.array(fc.boolean(), { maxLength: 12 }) }) },
);

test('any interleaving: never more than maxPending held; the oldest unsent is dropped first and counted; order kept; nothing lost under the bound', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 }), fc.array(stepArb, { maxLength: 300 }), (maxPending, steps) => {
      const queue = new PendingQueue<number>(maxPending);
      // the model: entries waiting (oldest first) and the batch in flight
      let waiting: number[] = [];
      let flight: number[] = [];
      const published: number[] = [];
      const dropped: number[] = [];
      let next = 0;
      let partial = false;
      for (const step of steps) {
        if (step.kind === 'push') {
          const entry = next++;
          const full = waiting.length + flight.length >= maxPending;
          const n = queue.push(entry);
          if (!full) {
            if (n !== 0) return false;
            waiting.push(entry);
          } else {
            if (n !== 1) return false;
            // the oldest entry not yet sent goes: the first waiting one, or the new one
            waiting.push(entry);
            dropped.push(waiting.shift()!);
          }
        } else if (step.kind === 'take') {
          const batch = queue.take(step.max);
          const expected = flight.length > 0 ? [] : waiting.slice(0, step.max);
          if (JSON.stringify(batch) !== JSON.stringify(expected)) return false;
          if (flight.length === 0) {
            flight = expected;
            waiting = waiting.slice(expected.length);
          }
        } else if (step.kind === 'sent') {
          if (queue.sent() !== flight.length) return false;
          published.push(...flight);
          flight = [];
        } else if (step.kind === 'failed') {
          queue.failed();
          waiting = [...flight, ...waiting];
          flight = [];
        } else {
          // Redis answered, some entries to be sent again (the rest done with)
          const retry = flight.map((_, i) => i).filter((i) => step.retry[i] === true);
          if (queue.settle(retry) !== flight.length - retry.length) return false;
          published.push(...flight.filter((_, i) => step.retry[i] !== true));
          waiting = [...retry.map((i) => flight[i]!), ...waiting];
          flight = [];
          if (retry.length > 0) partial = true;
        }
        const held = [...flight, ...waiting];
        if (held.some((entry, i) => i > 0 && entry < held[i - 1]!)) return false;
        if (queue.pending > maxPending || queue.pending !== waiting.length + flight.length) return false;
        if (queue.waiting !== waiting.length || queue.inFlight !== flight.length || queue.dropped !== dropped.length) return false;
      }
      // order kept: what is held is always in arrival order (checked at each step), and so is what was
      // published, unless Redis refused part of a batch for a while (those go out after the rest);
      // published, held and dropped are every entry, each once
      const delivered = [...published, ...flight, ...waiting];
      if (!partial && delivered.some((entry, i) => i > 0 && entry < delivered[i - 1]!)) return false;
      const all = [...delivered, ...dropped].sort((a, b) => a - b);
      if (all.length !== next || all.some((entry, i) => entry !== i)) return false;
      // drain: everything held comes out in order
      queue.sent();
      const rest: number[] = [];
      for (let batch = queue.take(5); batch.length > 0; batch = queue.take(5)) {
        rest.push(...batch);
        queue.sent();
      }
      return JSON.stringify(rest) === JSON.stringify(waiting);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('a queue never filled drops nothing, whatever the failures', (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant('push' as const), fc.constant('take' as const), fc.constant('sent' as const), fc.constant('failed' as const)), { maxLength: 200 }), (steps) => {
      const queue = new PendingQueue<number>(1_000);
      const published: number[] = [];
      let batch: readonly number[] = [];
      let next = 0;
      for (const step of steps) {
        if (step === 'push') queue.push(next++);
        else if (step === 'take') batch = queue.inFlight > 0 ? batch : queue.take(7);
        else if (step === 'sent') {
          if (queue.inFlight > 0) published.push(...batch);
          queue.sent();
          batch = [];
        } else queue.failed();
      }
      if (queue.inFlight > 0) queue.failed();
      published.push(...queue.take(1_000));
      return queue.dropped === 0 && published.length === next && published.every((entry, i) => entry === i);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('clear empties it and says how much it held', (t) => {
  const queue = new PendingQueue<string>(3);
  for (const entry of ['a', 'b', 'c', 'd']) queue.push(entry);
  t.is(queue.dropped, 1);
  t.deepEqual(queue.take(2), ['b', 'c']);
  t.is(queue.clear(), 3);
  t.is(queue.pending, 0);
  queue.push('e');
  t.deepEqual(queue.take(5), ['e']);
});
