/**
 * The accounting every identify queue follows (pure: no clock, no I/O). Discord counts an
 * identify against the daily `session_start_limit` only when it receives one, so a queue spends
 * a unit of `remaining` only when its holder *sent* the identify:
 *
 * - a grant **reserves** a unit (so two buckets granted at once cannot both count on the last one);
 * - the holder's `sent()` **spends** it (`remaining` goes down by one);
 * - a lease let go without `sent()` (refused or closed before Hello, timed out, torn down, lost)
 *   **gives it back**, and does not start the bucket's window either: no identify went out.
 *
 * A queue refuses (`IDENTIFY_BUDGET_EXHAUSTED`) only when `remaining` is 0; while the units left
 * are all reserved by grants that may still come to nothing, a new grant waits instead.
 */

/** The budget as a queue keeps it: units left for the day, and those held by unsent grants. */
export interface BudgetCount {
  /** Identifies Discord will still accept today (only sent identifies take from it). */
  readonly remaining: number;
  /** Granted slots whose identify is not sent yet: each may spend a unit, or give it back. */
  readonly reserved: number;
}

/** What a queue does with the next waiter of a free bucket, as far as the budget goes. */
export type BudgetDecision = 'grant' | 'wait' | 'refuse';

/** `refuse` when nothing is left, `wait` while what is left is all reserved, else `grant`. */
export const budgetDecision = (count: BudgetCount): BudgetDecision =>
  count.remaining <= 0 ? 'refuse' : count.remaining - count.reserved <= 0 ? 'wait' : 'grant';

/** A slot was granted: one more unit reserved. */
export const reserveUnit = (count: BudgetCount): BudgetCount => ({ remaining: count.remaining, reserved: count.reserved + 1 });

/** The holder sent its identify: its reserved unit is spent. */
export const spendUnit = (count: BudgetCount): BudgetCount => ({ remaining: Math.max(0, count.remaining - 1), reserved: Math.max(0, count.reserved - 1) });

/** The holder let its slot go without identifying: its reserved unit is given back. */
export const returnUnit = (count: BudgetCount): BudgetCount => ({ remaining: count.remaining, reserved: Math.max(0, count.reserved - 1) });

/**
 * When a bucket may grant next, after its holder let the lease go at `now`: a window (plus the
 * margin, `gapMs`) after the release when the identify was sent, else unchanged (`freeAt`).
 */
export const freeAtAfterRelease = (freeAt: number, now: number, sent: boolean, gapMs: number): number => (sent ? Math.max(freeAt, now + gapMs) : freeAt);

/**
 * What `IdentifyQueue.acquire` may emit as its grant: `sent()` is called once, when the identify
 * is written to the socket, and is what spends a unit of the budget (see the file's comment). A
 * queue whose grants carry no `sent` (a user's own queue) is used as before.
 */
export interface IdentifyGrant {
  sent(): void;
}

/** True for a grant value that carries `sent()`. */
export const isIdentifyGrant = (value: unknown): value is IdentifyGrant =>
  typeof value === 'object' && value !== null && typeof (value as { sent?: unknown }).sent === 'function';
