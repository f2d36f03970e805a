import test from 'ava';
import fc from 'fast-check';
import { type DropReport, ForwardWindow } from '../../src/control/forward-window.js';

const NAMES = ['MESSAGE_CREATE', 'GUILD_CREATE', 'TYPING_START'] as const;

/** One step: a dispatch offered, CONTROL reading some of what is unread (possibly a stale or excessive count), or time passing. */
const stepArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('offer' as const), name: fc.constantFrom(...NAMES), bytes: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 5000 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), count: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const), back: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('excess' as const), extra: fc.integer({ min: 1, max: 1e6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 100 }) }) },
);

test('any interleaving of offers and reads: unread stays within the limit (or is one dispatch alone); every dispatch is forwarded or counted as dropped, exactly once; reports add up', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 200, max: 4000 }), fc.array(stepArb, { maxLength: 400 }), (limit, steps) => {
      const window = new ForwardWindow(limit);
      let now = 0;
      let read = 0;
      /** sizes of forwarded dispatches CONTROL has not read, as the model keeps them */
      const unread: number[] = [];
      const offered = new Map<string, number>();
      const forwarded = new Map<string, number>();
      const dropped = new Map<string, number>();
      const reported = new Map<string, number>();
      let pendingInGap = 0;
      const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
      const take = (report: DropReport | null) => {
        if (report === null) return;
        const sum = Object.values(report.dispatches).reduce((a, b) => a + b, 0);
        if (sum !== report.total || report.total === 0 || report.firstAt > report.lastAt) throw new Error(`inconsistent report ${JSON.stringify(report)}`);
        for (const [name, n] of Object.entries(report.dispatches)) bump(reported, name, n);
        pendingInGap = 0;
      };
      for (const step of steps) {
        switch (step.kind) {
          case 'offer': {
            bump(offered, step.name);
            const wasDropping = window.dropping;
            if (window.offer(step.name, step.bytes, now)) {
              if (wasDropping) throw new Error('forwarded while a gap was open');
              bump(forwarded, step.name);
              unread.push(step.bytes);
            } else {
              bump(dropped, step.name);
              pendingInGap++;
            }
            break;
          }
          case 'read': {
            const n = Math.min(step.count, unread.length);
            unread.splice(0, n);
            read += n;
            take(window.read(read));
            break;
          }
          case 'stale':
            take(window.read(Math.max(0, read - step.back)));
            break;
          case 'excess':
            // a count past what was forwarded reads at most everything forwarded
            take(window.read(read + unread.length + step.extra));
            read += unread.length;
            unread.length = 0;
            break;
          case 'tick':
            now += step.ms;
        }
        const counts = window.counts();
        const unreadBytes = unread.reduce((a, b) => a + b, 0);
        if (counts.unreadBytes !== unreadBytes || counts.unreadDispatches !== unread.length) throw new Error('the window lost track of what is unread');
        if (!(unreadBytes <= limit || unread.length === 1)) throw new Error(`${unreadBytes} bytes in ${unread.length} dispatches unread, limit ${limit}`);
        if (window.dropping !== pendingInGap > 0) throw new Error('a gap is open without drops, or drops without a gap');
      }
      const counts = window.counts();
      for (const name of NAMES) {
        const o = offered.get(name) ?? 0;
        const f = forwarded.get(name) ?? 0;
        const d = dropped.get(name) ?? 0;
        if (o !== f + d) throw new Error(`${name}: ${o} offered, ${f} forwarded, ${d} dropped`);
        if ((counts.dropped[name] ?? 0) !== d) throw new Error(`${name}: counted ${counts.dropped[name]} dropped, ${d} were`);
      }
      const forwardedTotal = [...forwarded.values()].reduce((a, b) => a + b, 0);
      const reportedTotal = [...reported.values()].reduce((a, b) => a + b, 0);
      const droppedTotal = [...dropped.values()].reduce((a, b) => a + b, 0);
      if (counts.forwarded !== forwardedTotal) throw new Error('forwarded count differs');
      if (reportedTotal + pendingInGap !== droppedTotal) throw new Error(`${droppedTotal} dropped, ${reportedTotal} reported, ${pendingInGap} in the open gap`);
      // once CONTROL reads everything, the open gap (if any) is reported
      take(window.read(read + unread.length));
      if (window.dropping) throw new Error('a gap stayed open with nothing unread');
      if ([...reported.values()].reduce((a, b) => a + b, 0) !== droppedTotal) throw new Error('a drop was never reported');
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('a dispatch larger than the whole window is delivered when nothing else is unread', (t) => {
  const window = new ForwardWindow(100);
  t.true(window.offer('GUILD_CREATE', 5000, 0));
  t.false(window.offer('MESSAGE_CREATE', 1, 1));
  t.deepEqual(window.read(1), { dispatches: { MESSAGE_CREATE: 1 }, total: 1, firstAt: 1, lastAt: 1 });
  t.true(window.offer('MESSAGE_CREATE', 1, 2));
});

test('the gap closes only once CONTROL read the window down to half', (t) => {
  const window = new ForwardWindow(100);
  for (let i = 0; i < 10; i++) t.true(window.offer('A', 10, i));
  t.false(window.offer('A', 10, 10));
  t.false(window.offer('B', 1, 11));
  t.is(window.read(4), null, '60 bytes unread: more than half');
  t.false(window.offer('A', 10, 12), 'still dropping');
  t.deepEqual(window.read(5), { dispatches: { A: 2, B: 1 }, total: 3, firstAt: 10, lastAt: 12 });
  t.true(window.offer('A', 10, 13));
  t.deepEqual(window.counts(), { maxUnreadBytes: 100, unreadBytes: 60, unreadDispatches: 6, forwarded: 11, dropped: { A: 2, B: 1 }, gaps: 1 });
});
