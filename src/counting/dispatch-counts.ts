/** The label that stands for every dispatch name past the cap, or not shaped like a Discord event name. */
export const OTHER_EVENT = 'other';

/** Distinct dispatch names counted under their own label, by default (Discord sends ~80 kinds). */
export const DEFAULT_MAX_EVENT_NAMES = 128;

/** What a Discord dispatch name looks like: upper case, digits and underscores, at most 64 characters. */
const EVENT_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/** One counter; a mutable box so a hit costs one Map lookup and an increment. */
interface Cell {
  n: number;
}

/**
 * Dispatches counted per shard and per event name: plain Maps of number boxes, updated on every
 * dispatch and read only when metrics are scraped. The set of event labels is bounded: the first
 * `maxEventNames` well-formed names get their own label, every later or malformed one is
 * counted under `other` (so a gateway sending garbage names cannot grow it without end).
 * Shard ids are taken from the dispatches themselves, so shards added at run time are counted.
 */
export class DispatchCounts {
  private readonly shards = new Map<number, Map<string, Cell>>();
  private readonly names = new Set<string>();

  constructor(readonly maxEventNames: number = DEFAULT_MAX_EVENT_NAMES) {}

  /** Counts one dispatch. The hot path: two Map lookups and an increment once a name was seen. */
  count(shardId: number, event: string): void {
    let perShard = this.shards.get(shardId);
    if (perShard === undefined) this.shards.set(shardId, (perShard = new Map()));
    const cell = perShard.get(event);
    if (cell !== undefined) cell.n++;
    else this.countFirst(perShard, event);
  }

  /** A name this shard has not counted yet (or one that goes to `other`). */
  private countFirst(perShard: Map<string, Cell>, event: string): void {
    const label = this.labelOf(event);
    const cell = perShard.get(label);
    if (cell !== undefined) cell.n++;
    else perShard.set(label, { n: 1 });
  }

  /** The label a dispatch name is counted under. */
  labelOf(event: string): string {
    if (this.names.has(event)) return event;
    if (this.names.size >= this.maxEventNames || !EVENT_NAME.test(event)) return OTHER_EVENT;
    this.names.add(event);
    return event;
  }

  /** Calls `visit` once per (shard, label) counted so far. */
  forEach(visit: (shardId: number, event: string, count: number) => void): void {
    for (const [shardId, perShard] of this.shards) for (const [event, cell] of perShard) visit(shardId, event, cell.n);
  }

  /** Every count, per shard then per label, as plain data. */
  snapshot(): { shardId: number; counts: Record<string, number> }[] {
    return [...this.shards].map(([shardId, perShard]) => ({ shardId, counts: Object.fromEntries([...perShard].map(([event, cell]) => [event, cell.n])) }));
  }

  /** The dispatches counted in all, over every shard and label. */
  total(): number {
    let sum = 0;
    this.forEach((_shard, _event, n) => (sum += n));
    return sum;
  }
}
