import type { SchedulerLike, Subscription } from 'rxjs';

/** Starts groups of shards one after another (see `startInWaves`). */
export interface WaveStarter {
  /** A shard is up (READY or resumed), fatal, or gone; the last one of a wave starts the next. */
  settled(shardId: number): void;
  /** No further wave starts. */
  stop(): void;
}

/**
 * Splits the shards that must identify into waves of at most one shard per identify bucket
 * (`shardId % maxConcurrency`), in shard order: 0..c-1, then c..2c-1, and so on.
 */
export const identifyWaves = (shardIds: readonly number[], maxConcurrency: number): number[][] => {
  const buckets = new Map<number, number[]>();
  for (const id of [...shardIds].sort((a, b) => a - b)) {
    const key = id % maxConcurrency;
    buckets.set(key, [...(buckets.get(key) ?? []), id]);
  }
  const depth = Math.max(0, ...[...buckets.values()].map((b) => b.length));
  return Array.from({ length: depth }, (_, i) => [...buckets.values()].flatMap((b) => (i < b.length ? [b[i]!] : [])));
};

/**
 * Starts the waves in turn: the next when every shard of the current one has settled, or after
 * `timeoutMs` at the latest. Each shard thus opens its socket about one identify window before
 * its turn, instead of all of them at once holding idle connections for minutes; the identify
 * queue still decides when each one identifies.
 */
export const startInWaves = (
  waves: readonly (readonly number[])[],
  start: (shardId: number) => void,
  scheduler: SchedulerLike,
  timeoutMs: number,
): WaveStarter => {
  let index = -1;
  let pending = new Set<number>();
  let timer: Subscription | null = null;
  let stopped = false;
  const next = (): void => {
    timer?.unsubscribe();
    timer = null;
    index++;
    if (stopped || index >= waves.length) return;
    const wave = waves[index]!;
    pending = new Set(wave);
    timer = scheduler.schedule(next, timeoutMs);
    for (const shardId of wave) start(shardId);
  };
  next();
  return {
    settled(shardId) {
      if (pending.delete(shardId) && pending.size === 0 && !stopped) next();
    },
    stop() {
      stopped = true;
      timer?.unsubscribe();
    },
  };
};
