/** One occurrence held by a `PendingMultiset`. */
interface Entry<T> {
  readonly key: string;
  readonly value: T;
  readonly at: number;
  live: boolean;
}

/**
 * A multiset of keyed occurrences that remembers their arrival order and time: `take` removes the
 * oldest live occurrence of a key, `expire` and `drain` visit the live ones in arrival order.
 * Identical keys are counted, never merged. Pure bookkeeping: no timers, `now` is passed in.
 */
export class PendingMultiset<T> {
  private readonly byKey = new Map<string, Entry<T>[]>();
  private order: Entry<T>[] = [];
  private head = 0;
  private count = 0;

  /** Live occurrences held. */
  get size(): number {
    return this.count;
  }

  add(key: string, value: T, at: number): void {
    const entry: Entry<T> = { key, value, at, live: true };
    const list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, [entry]);
    else list.push(entry);
    this.order.push(entry);
    this.count++;
  }

  /** Removes the oldest live occurrence of `key`; false when there is none. */
  take(key: string): boolean {
    const list = this.byKey.get(key);
    if (list === undefined) return false;
    const entry = list.shift()!;
    if (list.length === 0) this.byKey.delete(key);
    entry.live = false;
    this.count--;
    this.compact();
    return true;
  }

  /** Removes every live occurrence that arrived before `cutoff`, oldest first, handing each to `visit`. */
  expire(cutoff: number, visit?: (value: T) => void): void {
    while (this.head < this.order.length) {
      const entry = this.order[this.head]!;
      if (entry.live) {
        if (entry.at >= cutoff) break;
        this.take(entry.key);
        visit?.(entry.value);
      } else this.head++;
    }
    this.compact();
  }

  /** Removes every live occurrence, oldest first, handing each to `visit`. */
  drain(visit?: (value: T) => void): void {
    this.expire(Infinity, visit);
  }

  /** Drops the dead entries at the front once they are many, so the order list does not grow without end. */
  private compact(): void {
    while (this.head < this.order.length && !this.order[this.head]!.live) this.head++;
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
