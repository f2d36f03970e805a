import { createMemoryHandoverLedger } from '../../src/reshard/memory-ledger.js';
import type { HandoverLedger, HandoverSide } from '../../src/reshard/ledger.js';

/** A ledger for the fleet tests: the real in-memory one (CONTROL's default), counting what it is offered; `failing` makes it unreachable. */
export interface CountingLedger extends HandoverLedger {
  readonly ops: { offers: number; keys: number };
  failing: boolean;
}

/** `createMemoryHandoverLedger({ windowMs })` with its offers counted and an outage switch. */
export const countingLedger = (windowMs: number): CountingLedger => {
  const real = createMemoryHandoverLedger({ windowMs });
  const ledger: CountingLedger = {
    ops: { offers: 0, keys: 0 },
    failing: false,
    offer: async (side: HandoverSide, keys: readonly string[]) => {
      if (ledger.failing) throw new Error('ledger unreachable (test)');
      ledger.ops.offers++;
      ledger.ops.keys += keys.length;
      return real.offer(side, keys);
    },
    close: () => real.close(),
  };
  return ledger;
};
