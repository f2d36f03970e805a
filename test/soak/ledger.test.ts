import test from 'ava';
import fc from 'fast-check';
import { SoakLedger } from './ledger.js';

/** One session of a shard as the property draws it: whether the client heard its READY, how many dispatches went into it, and how many of them reached the client before it was lost (undefined: never lost). */
interface SessionPlan {
  readonly announced: boolean;
  readonly dispatches: number;
  readonly receivedBeforeLoss: number | undefined;
}

const sessionPlan: fc.Arbitrary<SessionPlan> = fc
  .record({ announced: fc.boolean(), dispatches: fc.nat(6), lost: fc.boolean(), cut: fc.nat(6) })
  .map(({ announced, dispatches, lost, cut }) => ({ announced, dispatches, receivedBeforeLoss: lost ? Math.min(cut, dispatches) : undefined }));

/** A shard's history: sessions one after another, the last one announced, kept, and with a dispatch (the soak's drain marker). */
const shardPlan = fc.tuple(fc.array(sessionPlan, { maxLength: 6 }), fc.integer({ min: 1, max: 4 })).map(([sessions, finalDispatches]) => [
  ...sessions,
  { announced: true, dispatches: finalDispatches, receivedBeforeLoss: undefined },
]);

/**
 * Plays the plans into a ledger as a soak would, with seqs that skip now and then (RESUMED takes
 * one). `drop` may name, per shard, one received dispatch the client then never gets.
 */
const play = (plans: readonly (readonly SessionPlan[])[], drop: (shardId: number, received: readonly number[]) => number | undefined = () => undefined) => {
  const ledger = new SoakLedger(plans.length);
  const expected = { lostReported: 0, lostUnannounced: 0 };
  plans.forEach((sessions, shardId) => {
    const received: number[] = [];
    const lossReports: Array<[string, number]> = [];
    sessions.forEach((plan, index) => {
      const sessionId = `${shardId}-${index}`;
      const numbers: number[] = [];
      const seqs: number[] = [];
      for (let i = 0, seq = 1; i < plan.dispatches; i++) {
        seq += i % 3 === 2 ? 2 : 1;
        numbers.push(ledger.nextOf(shardId));
        seqs.push(seq);
        ledger.sent(shardId, sessionId, seq);
      }
      if (!plan.announced) {
        expected.lostUnannounced += plan.dispatches;
        return;
      }
      ledger.announce(sessionId);
      const kept = plan.receivedBeforeLoss ?? plan.dispatches;
      received.push(...numbers.slice(0, kept));
      if (plan.receivedBeforeLoss !== undefined) {
        lossReports.push([sessionId, kept === 0 ? 1 : seqs[kept - 1]!]);
        expected.lostReported += plan.dispatches - kept;
      }
    });
    const dropped = drop(shardId, received);
    for (const n of received) if (n !== dropped) ledger.receive(shardId, n);
    for (const [sessionId, lastSeq] of lossReports) ledger.lose(sessionId, lastSeq);
  });
  return { ledger, expected };
};

test('property: every dispatch missing from a reported-lost session past its lastSeq or from a session the client never knew is explained, and the counts add up', (t) => {
  fc.assert(
    fc.property(fc.array(shardPlan, { minLength: 1, maxLength: 3 }), (plans) => {
      const { ledger, expected } = play(plans);
      const tally = ledger.tally();
      return (
        tally.lostSilently === 0 &&
        tally.duplicated === 0 &&
        tally.outOfOrder === 0 &&
        tally.lostReported === expected.lostReported &&
        tally.lostUnannounced === expected.lostUnannounced &&
        tally.checked + tally.lostReported + tally.lostUnannounced === tally.sent &&
        ledger.behind().length === 0 &&
        ledger.outstanding === 0
      );
    }),
  );
  t.pass();
});

test('property: a received dispatch the client then misses is lost silently, whichever session it was in (or, when it was the last, leaves its shard behind)', (t) => {
  fc.assert(
    fc.property(fc.array(shardPlan, { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat(), (plans, shardPick, pick) => {
      const victim = shardPick % plans.length;
      let dropped: number | undefined;
      let wasLast = false;
      const { ledger } = play(plans, (shardId, received) => {
        if (shardId !== victim) return undefined;
        dropped = received[pick % received.length];
        wasLast = pick % received.length === received.length - 1;
        return dropped;
      });
      const tally = ledger.tally();
      if (wasLast) return tally.lostSilently === 0 && ledger.behind().includes(victim);
      return tally.lostSilently === 1 && tally.silent.length === 1 && tally.silent[0]![0] === victim && tally.silent[0]![1] === dropped;
    }),
  );
  t.pass();
});

test('a session made for an Identify whose READY the client never read: its dispatches are missing, explained, not silent; a known session lost unreported is silent', (t) => {
  const ledger = new SoakLedger(1);
  const send = (sessionId: string, seq: number) => {
    const n = ledger.nextOf(0);
    ledger.sent(0, sessionId, seq);
    return n;
  };
  ledger.announce('a');
  ledger.receive(0, send('a', 2));
  send('a', 3);
  ledger.lose('a', 2);
  // 'b' was made for an Identify, but the connection ended before its READY reached the client
  for (let seq = 2; seq < 7; seq++) send('b', seq);
  ledger.announce('c');
  ledger.receive(0, send('c', 2));
  t.like(ledger.tally(), { sent: 8, checked: 2, lostReported: 1, lostUnannounced: 5, lostSilently: 0, sessionsLost: 1 });

  // the same, but the client knew 'b' and never said it was lost
  const known = new SoakLedger(1);
  known.announce('b');
  known.sent(0, 'b', 2);
  known.receive(0, 0);
  known.sent(0, 'b', 3);
  known.announce('c');
  known.sent(0, 'c', 2);
  known.receive(0, 2);
  t.like(known.tally(), { lostReported: 0, lostUnannounced: 0, lostSilently: 1, silent: [[0, 1, 3, null]] });
});
