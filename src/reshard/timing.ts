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
