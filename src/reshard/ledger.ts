/** Which layout of a reshard a copy of an event came from. */
export type HandoverSide = 'old' | 'new';

/**
 * The shared decision a fleet reshard needs for guilds that cross clusters: the old and the new
 * copy of each of their events arrive in different processes, so which copies reach `dispatch$`
 * is decided in one place. Per key (`t` plus the raw `d`, see `rawHandoverKey`) the ledger counts
 * the copies offered by each side and admits a copy when its side's count, with it, exceeds the
 * other side's: across both sides exactly `max(old copies, new copies)` are admitted, the same
 * multiset rule the in-process handover applies. Counts are forgotten `windowMs` after a key's
 * last offer.
 */
export interface HandoverLedger {
  /**
   * Offers one copy of each key (a key may repeat: each occurrence is a copy) from `side`;
   * resolves with one verdict per key, in order: true when that copy is to be emitted. Rejects
   * when the ledger cannot be reached; the caller decides what that means (and reports it).
   */
  offer(side: HandoverSide, keys: readonly string[]): Promise<readonly boolean[]>;
  /** Lets the ledger go (its connections, its timers). */
  close(): Promise<void>;
}
