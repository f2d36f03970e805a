import { createHash } from 'node:crypto';
import { DisclusterError } from '../gateway/errors.js';
import { createMemoryIdentifyQueue, defaultIdentifyMargin, type SessionStartLimit } from '../shard/identify-queue.js';
import type { IdentifyQueue } from '../shard/types.js';
import { BotLender } from './bot-lender.js';

/** What decides which identify buckets a cluster uses: its bot and Discord's identify rules for it. */
export interface BotIdentifyRules {
  readonly token: string;
  /** The gateway URL: with the token, it names the bot (a test's emulators are bots of their own). */
  readonly gatewayUrl: string;
  readonly maxConcurrency: number;
  readonly windowMs: number;
  readonly safetyMarginMs?: number;
  readonly sessionStartLimit?: SessionStartLimit;
}

/** A queue lent to one cluster; `release()` once the cluster has exited. */
export interface LentIdentifyQueue {
  readonly queue: IdentifyQueue;
  release(): void;
}

/** A bot's queue, with the rules it was made for. */
interface BotQueue {
  readonly queue: IdentifyQueue;
  readonly maxConcurrency: number;
  readonly windowMs: number;
}

/** The bot's key: a digest of its token and gateway URL, so the token itself is never kept as a key. */
export const botKey = (token: string, gatewayUrl: string): string => createHash('sha256').update(token).update('\n').update(gatewayUrl).digest('hex');

/**
 * The identify queues of one CONTROL process, one per bot: every `spawnCluster({ identify:
 * 'control' })` of the same token and gateway URL without an explicit `identifyQueue` shares its
 * buckets with the others, as Discord counts them per bot. Two clusters of one bot that disagree on `maxConcurrency`
 * or the identify window are refused: a bot has one `max_concurrency`, and picking either would
 * break the other's spacing. A queue lives while a cluster uses it.
 */
export class BotIdentifyQueues {
  private readonly lender = new BotLender<BotQueue>();

  /** The bot's shared queue (made on first use); throws `INVALID_OPTIONS` on conflicting rules. */
  lend(rules: BotIdentifyRules): LentIdentifyQueue {
    const { value, release } = this.lender.lend(botKey(rules.token, rules.gatewayUrl), () => makeQueue(rules), (existing) => refuseConflict(existing, rules));
    return { queue: value.queue, release };
  }

  /** How many bots have a queue now (for tests). */
  get size(): number {
    return this.lender.size;
  }
}

/** A bot's queue for `rules`. */
const makeQueue = (rules: BotIdentifyRules): BotQueue => ({
  queue: createMemoryIdentifyQueue({
    maxConcurrency: rules.maxConcurrency,
    windowMs: rules.windowMs,
    safetyMarginMs: rules.safetyMarginMs ?? defaultIdentifyMargin(rules.windowMs),
    ...(rules.sessionStartLimit ? { sessionStartLimit: rules.sessionStartLimit } : {}),
  }),
  maxConcurrency: rules.maxConcurrency,
  windowMs: rules.windowMs,
});

/** Two clusters of one bot must agree on its identify rules. */
const refuseConflict = (existing: BotQueue, rules: BotIdentifyRules): void => {
  if (existing.maxConcurrency === rules.maxConcurrency && existing.windowMs === rules.windowMs) return;
  throw new DisclusterError(
    'INVALID_OPTIONS',
    `another cluster of this bot in this CONTROL process identifies with maxConcurrency ${existing.maxConcurrency} and a ${existing.windowMs} ms window; ` +
      `this one asks for maxConcurrency ${rules.maxConcurrency} and ${rules.windowMs} ms. A bot has one max_concurrency: give every cluster the same ` +
      `gateway.maxConcurrency and timing.identifyWindowMs, or pass identifyQueue explicitly`,
  );
};

/** This process's queues: the default of `spawnCluster` in control mode. */
export const botIdentifyQueues = new BotIdentifyQueues();
