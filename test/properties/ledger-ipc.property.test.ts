import test from 'ava';
import fc from 'fast-check';
import { createLedgerBroker } from '../../src/control/ledger-broker.js';
import { createRemoteHandoverLedger } from '../../src/control/ledger-remote.js';
import { TO_CLUSTER, TO_CONTROL, TO_CLUSTER_LIMITS, TO_CONTROL_LIMITS, decodeMessage, type ToClusterMessage, type ToControlMessage } from '../../src/control/index.js';
import type { HandoverSide } from '../../src/reshard/ledger.js';
import { createMemoryHandoverLedger } from '../../src/reshard/memory-ledger.js';
import * as E from 'fp-ts/lib/Either.js';

/** Copies of a few keys spread over three clusters (each copy has a side and a cluster), offered in turns of any size, in any order. */
const scenarioArb = fc
  .array(fc.record({ key: fc.nat({ max: 5 }), side: fc.constantFrom<HandoverSide>('old', 'new'), cluster: fc.nat({ max: 2 }), turn: fc.nat({ max: 4 }) }), { maxLength: 40 })
  .chain((copies) => fc.record({ copies: fc.constant(copies), order: fc.shuffledSubarray(copies.map((_, i) => i), { minLength: copies.length, maxLength: copies.length }) }));

test('three clusters through CONTROL: any turns, any order, exactly max(old, new) per key; every message valid on the wire; at most one message per side per cluster per turn', async (t) => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ copies, order }) => {
      const ledger = createMemoryHandoverLedger({ windowMs: 60_000 });
      const offersSent: number[] = [0, 0, 0];
      const clusters = [0, 1, 2].map((index) => {
        let remote: ReturnType<typeof createRemoteHandoverLedger>;
        // the channel: each message decoded by the receiving end's codecs, as the bridge and the handle do
        const broker = createLedgerBroker(ledger, (message: ToClusterMessage) => {
          const decoded = decodeMessage(TO_CLUSTER, message, TO_CLUSTER_LIMITS);
          if (E.isLeft(decoded)) throw new Error(`invalid to cluster: ${decoded.left.message}`);
          remote.settle(decoded.right as Extract<ToClusterMessage, { type: 'ledger-verdicts' }>);
        });
        remote = createRemoteHandoverLedger((message: ToControlMessage) => {
          const decoded = decodeMessage(TO_CONTROL, message, TO_CONTROL_LIMITS);
          if (E.isLeft(decoded) || decoded.right.type !== 'ledger-offer') throw new Error('invalid to CONTROL');
          offersSent[index]!++;
          const offer = decoded.right as Extract<ToControlMessage, { type: 'ledger-offer' }>;
          broker.offer(offer.batchId, offer.side, offer.keys);
        });
        return remote;
      });
      const admitted = new Map<string, number>();
      const offered = new Map<string, { old: number; new: number }>();
      for (let turn = 0; turn <= 4; turn++) {
        const before = [...offersSent];
        const inTurn = order.filter((i) => copies[i]!.turn === turn).map((i) => copies[i]!);
        await Promise.all(
          inTurn.map(async ({ key, side, cluster }) => {
            const name = `GUILD_UPDATE\n={"n":${key}}`;
            const counts = offered.get(name) ?? { old: 0, new: 0 };
            counts[side]++;
            offered.set(name, counts);
            const [verdict] = await clusters[cluster]!.offer(side, [name]);
            if (verdict) admitted.set(name, (admitted.get(name) ?? 0) + 1);
          }),
        );
        offersSent.forEach((n, i) => t.true(n - before[i]! <= 2, `cluster ${i}: ${n - before[i]!} messages in one turn`));
      }
      for (const [name, counts] of offered) t.is(admitted.get(name) ?? 0, Math.max(counts.old, counts.new), name);
      await ledger.close();
    }),
    { numRuns: 300 },
  );
});
