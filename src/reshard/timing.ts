/** The reshard's part of the cluster's `timing` option (each one documented on `ClusterOptions`). */
export interface ReshardTiming {
  readonly reshardGuildsTimeoutMs?: number;
  readonly reshardMatchWindowMs?: number;
  readonly reshardTimeoutMs?: number;
}

/** Reshard timing defaults, in milliseconds (part of `CLUSTER_TIMING_DEFAULTS`). */
export const RESHARD_TIMING_DEFAULTS = {
  reshardGuildsTimeoutMs: 15_000,
  reshardMatchWindowMs: 5_000,
} as const;

/**
 * How often a reshard ticks (its clock, the handover's expiry): a quarter of the match window, an
 * eighth with a fleet's ledger route (it holds new copies a quarter of the window), at least 10 ms.
 */
export const reshardTickMs = (matchWindowMs: number, withLedgerRoute: boolean): number => Math.max(10, Math.floor(matchWindowMs / (withLedgerRoute ? 8 : 4)));

/**
 * How many match windows a fleet's handover ledger should remember a key after its last offer:
 * one for the lag between the two layouts, two more for a cluster starved meanwhile (its offers
 * reach the ledger late, while the reshard's own windows count only the time it ran). CONTROL's
 * default ledger uses it; give a Redis ledger `windowMs` of at least this many match windows.
 */
export const LEDGER_MEMORY_WINDOWS = 3;
