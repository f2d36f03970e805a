import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import type { HandoverLedger, HandoverSide } from './ledger.js';

/** Options of {@link createMemoryHandoverLedger}. */
export interface MemoryHandoverLedgerOptions {
  /** A key's counts are forgotten this long after its last offer (ms, from 1). */
  readonly windowMs: number;
  /** Its clock (`now()`) and the timer that forgets expired keys (default `asyncScheduler`); tests pass virtual time. */
  readonly scheduler?: SchedulerLike;
}

/** A {@link HandoverLedger} in this process's memory: the store of the CONTROL-held ledger, and a ledger for tests. */
export interface MemoryHandoverLedger extends HandoverLedger {
  /** `offer`, decided at once: one verdict per key, in order. Throws `LEDGER_UNREACHABLE` once closed. */
  decide(side: HandoverSide, keys: readonly string[]): boolean[];
  /** Keys whose counts are remembered now. */
  readonly size: number;
}

interface Counts {
  old: number;
  new: number;
  /** `now()` of the last offer. */
  at: number;
}

/**
 * The multiset rule of `HandoverLedger` over a `Map`: per key, the copies offered by each side;
 * a copy is admitted when its side's count, with it, exceeds the other side's. The map is kept
 * in last-offer order (a key offered again moves to the end), so forgetting the keys older than
 * the window is a walk from the front; it happens on every offer and on a timer set for the
 * oldest key's expiry (one timer at a time, none while the map is empty). Memory: one entry per
 * key offered within the last `windowMs`.
 */
export const createMemoryHandoverLedger = (options: MemoryHandoverLedgerOptions): MemoryHandoverLedger => {
  const { windowMs } = options;
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new DisclusterError('INVALID_OPTIONS', `windowMs must be a positive integer, got ${String(windowMs)}`);
  const scheduler = options.scheduler ?? asyncScheduler;
  const counts = new Map<string, Counts>();
  let sweep: Subscription | null = null;
  let closed = false;

  const expire = () => {
    const now = scheduler.now();
    for (const [key, entry] of counts) {
      if (now - entry.at < windowMs) break;
      counts.delete(key);
    }
  };

  const armSweep = () => {
    if (sweep !== null || closed) return;
    const oldest = counts.values().next();
    if (oldest.done) return;
    const delay = Math.max(0, oldest.value.at + windowMs - scheduler.now());
    sweep = scheduler.schedule(() => {
      sweep = null;
      expire();
      armSweep();
    }, delay);
  };

  const decide = (side: HandoverSide, keys: readonly string[]): boolean[] => {
    if (closed) throw new DisclusterError('LEDGER_UNREACHABLE', 'the handover ledger is closed');
    expire();
    const now = scheduler.now();
    const verdicts = keys.map((key) => {
      const entry = counts.get(key) ?? { old: 0, new: 0, at: now };
      counts.delete(key);
      entry.at = now;
      counts.set(key, entry);
      const mine = ++entry[side];
      return mine > (side === 'old' ? entry.new : entry.old);
    });
    armSweep();
    return verdicts;
  };

  return {
    decide,
    offer: async (side, keys) => decide(side, keys),
    get size() {
      return counts.size;
    },
    close: async () => {
      closed = true;
      sweep?.unsubscribe();
      sweep = null;
      counts.clear();
    },
  };
};
