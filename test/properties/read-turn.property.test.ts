import test from 'ava';
import fc from 'fast-check';
import { ReadTurn, type TurnReader } from '../../src/shard/read-turn.js';

const BUDGET = 10;

/** What can happen to the turn: a frame arrives for a reader (costing `ms` to handle), the turn ends, a socket closes, a reader is torn down. */
type Step =
  | { readonly kind: 'frame'; readonly reader: number; readonly ms: number }
  | { readonly kind: 'boundary' }
  | { readonly kind: 'close'; readonly reader: number }
  | { readonly kind: 'forget'; readonly reader: number };

const READERS = 4;
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('frame' as const), reader: fc.nat(READERS - 1), ms: fc.integer({ min: 0, max: 2 * BUDGET }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'boundary' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), reader: fc.nat(READERS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forget' as const), reader: fc.nat(READERS - 1) }) },
);

/**
 * Drives a ReadTurn with a virtual clock: handling a frame advances the clock by its cost, a
 * boundary runs only when the turn asked for one (as `setImmediate` would). Checks every rule
 * of read-turn.ts as it goes and returns what each reader handled.
 */
const run = (steps: readonly Step[], recentMs = Number.POSITIVE_INFINITY) => {
  let now = 0;
  let boundaries: (() => void)[] = [];
  const turn = new ReadTurn<number>(BUDGET, { now: () => now, atBoundary: (b) => void boundaries.push(b) }, recentMs);
  const costs = new Map<number, number>();
  let turnStart: number | undefined;
  const violations: string[] = [];
  /** A closing socket's backlog is handled at once, whatever the budget. */
  let flushing = false;
  const readers = Array.from({ length: READERS }, (_, id) => {
    const reader = {
      id,
      handled: [] as number[],
      sent: [] as number[],
      paused: false,
      gone: false,
      pauses: 0,
      handleFrame(frame: number, isBinary: boolean) {
        if (!isBinary) violations.push(`frame ${frame} lost its isBinary`);
        turnStart ??= now;
        // a frame begins only while the turn is under budget (the first of a turn always may)
        if (!flushing && now - turnStart >= BUDGET && now !== turnStart) violations.push(`frame ${frame} of reader ${id} began ${now - turnStart} ms into a turn`);
        reader.handled.push(frame);
        now += costs.get(frame) ?? 0;
      },
      pause() {
        if (reader.paused) violations.push(`reader ${id} paused twice`);
        reader.paused = true;
        reader.pauses++;
      },
      resume() {
        if (!reader.paused) violations.push(`reader ${id} resumed while not paused`);
        reader.paused = false;
      },
    } satisfies TurnReader<number> & Record<string, unknown>;
    return reader;
  });
  let next = 0;
  const boundary = () => {
    const due = boundaries;
    boundaries = [];
    turnStart = undefined;
    for (const b of due) b();
  };
  /** While frames wait, no other socket reads: every connection that has delivered (lately: all of them, with no `recentMs`) is paused (read-turn.ts). */
  const checkParked = () => {
    if (turn.backlogFrames === 0 || recentMs !== Number.POSITIVE_INFINITY) return;
    for (const r of readers) if (!r.gone && r.sent.length > 0 && !r.paused) violations.push(`reader ${r.id} reads while ${turn.backlogFrames} frames wait`);
  };
  for (const s of steps) {
    checkParked();
    if (s.kind === 'frame') {
      const reader = readers[s.reader]!;
      if (reader.gone) continue;
      const frame = next++;
      costs.set(frame, s.ms);
      reader.sent.push(frame);
      turn.receive(reader, frame, true);
    } else if (s.kind === 'boundary') boundary();
    else if (s.kind === 'close') {
      const reader = readers[s.reader]!;
      if (reader.gone) continue;
      flushing = true;
      turn.flush(reader);
      flushing = false;
      reader.gone = true;
      if (reader.handled.length !== reader.sent.length) violations.push(`reader ${s.reader} closed with frames unhandled`);
    } else {
      const reader = readers[s.reader]!;
      if (reader.gone) continue;
      turn.forget(reader);
      reader.gone = true;
      reader.sent = reader.handled.slice(); // what it had not handled is dropped on purpose
      if (reader.paused) violations.push(`reader ${s.reader} forgotten but left paused`);
    }
  }
  // the event loop keeps turning: every backlog is handled
  for (let i = 0; i < 10_000 && boundaries.length > 0; i++) boundary();
  return { readers, violations, backlog: turn.backlogFrames };
};

/** Throws unless a run kept every rule: no violation, no frame left waiting, each reader's frames all handled in order, none left paused. */
const expectSound = ({ readers, violations, backlog }: ReturnType<typeof run>): void => {
  if (violations.length > 0) throw new Error(violations.join('; '));
  if (backlog !== 0) throw new Error(`${backlog} frames left in backlogs`);
  for (const r of readers) {
    if (JSON.stringify(r.handled) !== JSON.stringify(r.sent)) throw new Error(`reader ${r.id} handled ${r.handled} of ${r.sent}`);
    if (r.paused && !r.gone) throw new Error(`reader ${r.id} left paused`);
  }
};

test('property: every frame is handled once, in order per connection, no frame starts past a turn’s budget, no socket reads while frames wait, and every paused socket resumes', (t) => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      expectSound(run(steps));
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('property: with connections forgotten once quiet for longer than recentMs, still every frame once, in order, within the budget, and every paused socket resumes', (t) => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), fc.integer({ min: 0, max: 4 * BUDGET }), (steps, recentMs) => {
      expectSound(run(steps, recentMs));
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('a spent turn pauses the connections that delivered lately, and leaves one quiet for longer than recentMs reading', (t) => {
  const { readers, violations } = run(
    [
      { kind: 'frame', reader: 1, ms: 30 }, // at 0: reader 1 delivers (its frame costs 30 ms), then is quiet
      { kind: 'boundary' },
      { kind: 'frame', reader: 2, ms: 1 }, // at 30: reader 2 delivers
      { kind: 'frame', reader: 3, ms: 1 }, // at 31: reader 3 delivers
      { kind: 'frame', reader: 0, ms: 12 }, // at 32: reader 0 delivers
      { kind: 'frame', reader: 0, ms: 1 }, // at 44: the turn (from 30) is spent: kept, and the lately active are paused
    ],
    20,
  );
  t.deepEqual(violations, []);
  t.deepEqual(readers.map((r) => r.pauses), [1, 0, 1, 1], 'readers 0 (its frame waits), 2 and 3 paused; reader 1, quiet for 44 ms, not');
});

test('a storm past the budget is spread over turns: the first frames now, the rest one budget per boundary, the socket paused meanwhile', (t) => {
  const frames = Array.from({ length: 10 }, (): Step => ({ kind: 'frame', reader: 0, ms: 4 }));
  const { readers, violations } = run(frames);
  t.deepEqual(violations, []);
  t.deepEqual(readers[0]!.handled, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.is(readers[0]!.pauses, 1);
  t.false(readers[0]!.paused);
});
