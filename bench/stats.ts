/** Small statistics for the benchmark. */

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** The `q` quantile (0–1) by nearest rank, of an already sorted array. */
export const quantileSorted = (sorted: ArrayLike<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
};

export const percentiles = (values: readonly number[]) => {
  const s = Float64Array.from(values).sort();
  return { p50: quantileSorted(s, 0.5), p99: quantileSorted(s, 0.99), max: quantileSorted(s, 1), n: s.length };
};

/** Rounds to `digits` significant-ish decimals for tables. */
export const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : Number.NaN);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
