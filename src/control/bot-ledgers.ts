import { createMemoryHandoverLedger, type MemoryHandoverLedger } from '../reshard/memory-ledger.js';
import { botKey } from './bot-identify-queues.js';

/** A ledger lent to one cluster; `release()` once the cluster has exited. */
export interface LentHandoverLedger {
  readonly ledger: MemoryHandoverLedger;
  release(): void;
}

interface Entry {
  readonly ledger: MemoryHandoverLedger;
  users: number;
}

/**
 * The handover ledgers of one CONTROL process, one per bot (token and gateway URL, as for the
 * identify queues): every `spawnCluster` of a bot without an explicit `handoverLedger` shares it,
 * so a fleet under one CONTROL needs no Redis to reshard exactly once. Two bots never share one:
 * the same event (a message in a guild both bots are in) is a different copy for each. The
 * memory is the first lender's `windowMs` (`LEDGER_MEMORY_WINDOWS` match windows); the ledger is
 * closed when its last cluster has exited.
 */
export class BotHandoverLedgers {
  private readonly entries = new Map<string, Entry>();

  /** The bot's shared ledger, made on first use. */
  lend(bot: { readonly token: string; readonly gatewayUrl: string; readonly windowMs: number }): LentHandoverLedger {
    const key = botKey(bot.token, bot.gatewayUrl);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { ledger: createMemoryHandoverLedger({ windowMs: bot.windowMs }), users: 0 };
      this.entries.set(key, entry);
    }
    const lent = entry;
    lent.users++;
    let released = false;
    return {
      ledger: lent.ledger,
      release: () => {
        if (released) return;
        released = true;
        if (--lent.users > 0 || this.entries.get(key) !== lent) return;
        this.entries.delete(key);
        void lent.ledger.close();
      },
    };
  }

  /** How many bots have a ledger now (for tests). */
  get size(): number {
    return this.entries.size;
  }
}

/** This process's ledgers: the default of `spawnCluster`. */
export const botHandoverLedgers = new BotHandoverLedgers();
