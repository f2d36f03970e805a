import { createMemoryHandoverLedger, type MemoryHandoverLedger } from '../reshard/memory-ledger.js';
import { botKey } from './bot-identify-queues.js';
import { BotLender } from './bot-lender.js';

/** A ledger lent to one cluster; `release()` once the cluster has exited. */
export interface LentHandoverLedger {
  readonly ledger: MemoryHandoverLedger;
  release(): void;
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
  private readonly lender = new BotLender<MemoryHandoverLedger>((ledger) => void ledger.close());

  /** The bot's shared ledger, made on first use. */
  lend(bot: { readonly token: string; readonly gatewayUrl: string; readonly windowMs: number }): LentHandoverLedger {
    const { value, release } = this.lender.lend(botKey(bot.token, bot.gatewayUrl), () => createMemoryHandoverLedger({ windowMs: bot.windowMs }));
    return { ledger: value, release };
  }

  /** How many bots have a ledger now (for tests). */
  get size(): number {
    return this.lender.size;
  }
}

/** This process's ledgers: the default of `spawnCluster`. */
export const botHandoverLedgers = new BotHandoverLedgers();
