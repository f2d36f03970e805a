/**
 * The entries one consumer has handed to its worker and that are not acknowledged yet, with a
 * lease each: an entry delivered more than `leaseMs` ago no longer holds a place (Redis lets
 * another consumer claim it after that idle time, so it is no longer this worker's alone), which
 * keeps a worker that never acks from stalling its consumer for good. Places are also reserved
 * for a read or a claim before it is sent, so what comes back always fits.
 *
 * The bound: `live <= max` at all times, where `live` counts the unexpired entries (a read or a
 * claim delivers only into places it reserved, so `live + reserved <= max` outside a hand-out).
 */
export class InFlightLedger {
  /** Entry key → when it was (last) delivered. Insertion order is delivery order: the oldest first. */
  private readonly deliveredAt = new Map<string, number>();
  private reservedPlaces = 0;

  constructor(
    readonly max: number,
    readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forgets the entries whose lease ran out. */
  private prune(): void {
    const oldest = this.now() - this.leaseMs;
    for (const [key, at] of this.deliveredAt) {
      if (at > oldest) break;
      this.deliveredAt.delete(key);
    }
  }

  /** Entries delivered, not acked, lease not run out. */
  get live(): number {
    this.prune();
    return this.deliveredAt.size;
  }

  /** Places reserved by reads or claims in progress. */
  get reserved(): number {
    return this.reservedPlaces;
  }

  /** Places a new read or claim may take now. */
  get free(): number {
    return Math.max(0, this.max - this.live - this.reservedPlaces);
  }

  /** Reserves up to `wanted` places; returns how many were reserved. */
  reserve(wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.free));
    this.reservedPlaces += granted;
    return granted;
  }

  /** Gives back `count` reserved places (after the read or claim came back). */
  unreserve(count: number): void {
    this.reservedPlaces = Math.max(0, this.reservedPlaces - count);
  }

  /**
   * Records a delivery (a redelivery of a key already held renews its lease, and takes no new
   * place). Call within a reservation, before `unreserve`.
   */
  delivered(key: string): void {
    this.deliveredAt.delete(key);
    this.deliveredAt.set(key, this.now());
  }

  /** Removes an acknowledged entry; false when it was not held (lease ran out, or acked twice). */
  acked(key: string): boolean {
    return this.deliveredAt.delete(key);
  }

  /** Milliseconds until the oldest live entry's lease runs out, or null when none is held. */
  nextExpiryIn(): number | null {
    this.prune();
    for (const at of this.deliveredAt.values()) return Math.max(0, at + this.leaseMs - this.now());
    return null;
  }
}
