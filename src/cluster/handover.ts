import type { ShardDispatchEvent } from '../shard/types.js';
import { PendingMultiset } from './pending-multiset.js';

/**
 * What identifies a dispatch across connections: its name and its data. Discord sends the same
 * event with the same `d` text on every connection; `JSON.stringify` of the parsed `d` is a
 * function of that text (JSON.parse keeps key order, numbers print back the same), so identical
 * texts give identical keys. Two different texts with the same parsed value share a key, which
 * only means they are counted as the same event, as they would be by any consumer of `d`.
 */
export const dispatchKey = (event: Pick<ShardDispatchEvent, 't' | 'd'>): string => `${event.t}\n${JSON.stringify(event.d) ?? ''}`;

/** Where a handover is: both sets delivering (`overlap`), then only the new one (`switched`). */
export type HandoverPhase = 'overlap' | 'switched';

/** Counters of a handover (see `ReshardReport`). */
export interface HandoverCounts {
  duplicatesSuppressed: number;
  recoveredFromNewSet: number;
  /** Most occurrences held at once (old ones awaiting their twin plus new ones held back). */
  peakHeld: number;
}

/**
 * The pure decision of which copy of each dispatch to emit while `dispatch$` moves from an old set
 * of shards to a new one that receives the same guilds' events on other, unsynchronised connections.
 *
 * - Overlap: the old set's events are emitted as they come and remembered until their twin from
 *   the new set arrives; the new set's events cancel a remembered twin (a duplicate) or are held.
 * - `switchOver()`: the old set is no longer read. Held new events are emitted in their order (the
 *   old set had not delivered them, and now never will: recovered); remembered old ones stay.
 * - Switched: a new event cancels a remembered old twin (already emitted) or is emitted.
 *
 * For each key, with `a` old and `b` new arrivals before the switch and `m` in all, this emits
 * `max(a, b)` before or at the switch and `m - max(a, b)` after: exactly `m`
 * (`test/properties/handover.property.test.ts`). `expire(now)` bounds memory under the assumption
 * that twins arrive within `windowMs` of each other: older remembered old events are forgotten,
 * older held new events are emitted (the old set missed them, e.g. a session it lost).
 */
export class Handover {
  phase: HandoverPhase = 'overlap';
  readonly counts: HandoverCounts = { duplicatesSuppressed: 0, recoveredFromNewSet: 0, peakHeld: 0 };
  /** Old events emitted whose twin from the new set has not arrived. */
  private readonly oldEmitted = new PendingMultiset<null>();
  /** New events held back during the overlap. */
  private readonly newHeld = new PendingMultiset<ShardDispatchEvent>();

  constructor(
    private readonly emit: (event: ShardDispatchEvent) => void,
    private readonly windowMs: number,
    private readonly key: (event: ShardDispatchEvent) => string = dispatchKey,
  ) {}

  /** Occurrences held now. */
  get held(): number {
    return this.oldEmitted.size + this.newHeld.size;
  }

  /** An event from the old set: emitted during the overlap, ignored once switched. */
  fromOld(event: ShardDispatchEvent, now: number): void {
    if (this.phase !== 'overlap') return;
    const key = this.key(event);
    if (this.newHeld.take(key)) this.counts.duplicatesSuppressed++;
    else this.remember(this.oldEmitted, key, null, now);
    this.emit(event);
  }

  /** An event from the new set: cancels its twin already emitted, else held (overlap) or emitted (switched). */
  fromNew(event: ShardDispatchEvent, now: number): void {
    const key = this.key(event);
    if (this.oldEmitted.take(key)) {
      this.counts.duplicatesSuppressed++;
      return;
    }
    if (this.phase === 'overlap') this.remember(this.newHeld, key, event, now);
    else this.emit(event);
  }

  /** Stops reading the old set and emits every held new event, in the order they came. */
  switchOver(): void {
    if (this.phase !== 'overlap') return;
    this.phase = 'switched';
    this.newHeld.drain(this.recovered);
  }

  /** Forgets old events and emits held new ones that came before `now - windowMs`. */
  expire(now: number): void {
    const cutoff = now - this.windowMs;
    this.oldEmitted.expire(cutoff);
    this.newHeld.expire(cutoff, this.recovered);
  }

  private readonly recovered = (event: ShardDispatchEvent): void => {
    this.counts.recoveredFromNewSet++;
    this.emit(event);
  };

  private remember<T>(set: PendingMultiset<T>, key: string, value: T, now: number): void {
    set.add(key, value, now);
    const held = this.held;
    if (held > this.counts.peakHeld) this.counts.peakHeld = held;
  }
}
