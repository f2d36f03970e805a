/**
 * The producer's bounded queue, pure: entries wait here until a batch takes them, and the
 * batch in flight still counts against the bound until Redis answers. At most `maxPending`
 * entries are held (waiting + in flight); when one more comes, the oldest entry not yet sent is
 * dropped and counted, so the shards never wait and memory never grows past the bound. A batch
 * that fails goes back to the front, in its order, and is sent again; nothing is lost while the
 * bound is not reached. No I/O and no clock: `publisher.ts` drives it.
 */

/** A bounded FIFO with one batch in flight. */
export class PendingQueue<T> {
  /** Waiting entries, a ring of `maxPending` slots. */
  private readonly ring: (T | undefined)[];
  private head = 0;
  private waitingCount = 0;
  private flight: T[] = [];
  /** Entries dropped because the queue was full, since the start. */
  dropped = 0;

  constructor(readonly maxPending: number) {
    this.ring = new Array<T | undefined>(maxPending);
  }

  /** Entries held: waiting plus in flight. Never above `maxPending`. */
  get pending(): number {
    return this.waitingCount + this.flight.length;
  }

  /** Entries waiting for a batch. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Entries of the batch in flight (0 when none). */
  get inFlight(): number {
    return this.flight.length;
  }

  /**
   * Adds an entry at the back. When the queue is full, the oldest waiting entry is dropped (or
   * the new one, when every held entry is in flight: then it is the oldest not yet sent).
   * Returns how many entries this dropped (0 or 1).
   */
  push(entry: T): number {
    if (this.pending < this.maxPending) {
      this.ring[(this.head + this.waitingCount) % this.maxPending] = entry;
      this.waitingCount++;
      return 0;
    }
    this.dropped++;
    if (this.waitingCount === 0) return 1;
    // full: the oldest waiting entry makes room for the new one at the back
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.maxPending;
    this.ring[(this.head + this.waitingCount - 1) % this.maxPending] = entry;
    return 1;
  }

  /** Takes up to `max` waiting entries, oldest first, as the batch in flight. Returns [] while a batch is in flight. */
  take(max: number): readonly T[] {
    if (this.flight.length > 0) return [];
    const count = Math.min(max, this.waitingCount);
    const batch = new Array<T>(count);
    for (let i = 0; i < count; i++) {
      batch[i] = this.ring[this.head] as T;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.maxPending;
    }
    this.waitingCount -= count;
    this.flight = batch;
    return batch;
  }

  /** Redis answered the batch in flight: it is no longer held. Returns its size. */
  sent(): number {
    const count = this.flight.length;
    this.flight = [];
    return count;
  }

  /** The batch in flight failed as a whole: it goes back to the front, in its order, to be sent again. */
  failed(): void {
    this.settle(this.flight.map((_, i) => i));
  }

  /**
   * Redis answered the batch in flight, some entries with an error worth another try: those
   * (`retry`, indexes into the batch, ascending) go back to the front in their order; the others
   * are no longer held. Returns how many were done with.
   */
  settle(retry: readonly number[]): number {
    const batch = this.flight;
    this.flight = [];
    // held stays the same or shrinks, so the entries put back fit in front of the waiting ones
    for (let k = retry.length - 1; k >= 0; k--) {
      this.head = (this.head - 1 + this.maxPending) % this.maxPending;
      this.ring[this.head] = batch[retry[k]!];
    }
    this.waitingCount += retry.length;
    return batch.length - retry.length;
  }

  /** Empties the queue (waiting and in flight); returns how many entries it held. */
  clear(): number {
    const held = this.pending;
    this.ring.fill(undefined);
    this.head = 0;
    this.waitingCount = 0;
    this.flight = [];
    return held;
  }
}
