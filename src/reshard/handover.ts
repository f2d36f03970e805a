import type { ShardDispatchEvent } from '../shard/types.js';
import { rawDispatchKey } from './raw-key.js';
import { PendingMultiset } from './pending-multiset.js';

/**
 * What identifies a dispatch across connections: its name and its data. Discord sends the same
 * event with the same `d` text on every connection; `JSON.stringify` of the parsed `d` is a
 * function of that text (JSON.parse keeps key order, numbers print back the same), so identical
 * texts give identical keys. Two different texts with the same parsed value share a key, which
 * only means they are counted as the same event, as they would be by any consumer of `d`.
 */
export const dispatchKey = (event: Pick<ShardDispatchEvent, 't' | 'd'>): string => `${event.t}\n${JSON.stringify(event.d) ?? ''}`;

/** The handover's key: `rawDispatchKey` (the `d` bytes, raw-key.ts) when the shard gave the frame text, else `dispatchKey`. */
export const handoverKey = (event: ShardDispatchEvent): string => rawDispatchKey(event) ?? dispatchKey(event);

/** Where a handover is: both sets delivering, new events held (`overlap`); both delivering, first copy wins (`switched`); only the new set (`closed`). */
export type HandoverPhase = 'overlap' | 'switched' | 'closed';

/** Counters of a handover (see `ReshardReport`). */
export interface HandoverCounts {
  duplicatesSuppressed: number;
  recoveredFromNewSet: number;
  /** Most occurrences held at once (events awaiting their twin, plus new ones held back). */
  peakHeld: number;
}

/**
 * The pure decision of which copy of each dispatch to emit while `dispatch$` moves from an old set
 * of shards to a new one that receives the same guilds' events on other, unsynchronised connections.
 *
 * - `overlap`: the old set's events are emitted as they come and remembered until their twin from
 *   the new set arrives; the new set's events cancel a remembered twin (a duplicate) or are held.
 * - `switchOver()`: held new events are emitted in their order (the new set had them first:
 *   `recoveredFromNewSet`) and remembered. From now on the first copy of an event, from either set,
 *   is emitted and remembered, and its twin from the other set cancels it. The old set is still
 *   read, so an event only it had (sent before a new shard existed) and delivers late is not lost.
 * - `close()`: the old set is no longer read (it is being closed).
 *
 * Per key, with `a` old and `b` new arrivals so far, the events emitted number `a` before the
 * switch and `max(a, b)` from the switch on: once one set has delivered every occurrence, exactly
 * the multiset (`test/properties/handover.property.test.ts`). `expire(now)` bounds memory under the
 * assumption that twins arrive within `windowMs` of each other: older remembered events are
 * forgotten, older held new events are emitted (the old set missed them, e.g. a session it lost).
 */
export class Handover {
  phase: HandoverPhase = 'overlap';
  readonly counts: HandoverCounts = { duplicatesSuppressed: 0, recoveredFromNewSet: 0, peakHeld: 0 };
  /** Old events emitted whose twin from the new set has not arrived. */
  private readonly oldEmitted = new PendingMultiset<null>();
  /** New events emitted (from the switch on) whose twin from the old set has not arrived. */
  private readonly newEmitted = new PendingMultiset<null>();
  /** New events held back during the overlap. */
  private readonly newHeld = new PendingMultiset<ShardDispatchEvent>();

  constructor(
    private readonly emit: (event: ShardDispatchEvent) => void,
    private readonly windowMs: number,
    private readonly key: (event: ShardDispatchEvent) => string = handoverKey,
  ) {}

  /** Occurrences held now. */
  get held(): number {
    return this.oldEmitted.size + this.newEmitted.size + this.newHeld.size;
  }

  /**
   * An event from the old set: cancels a twin the new set already gave, else emitted and
   * remembered. Ignored once closed. `twinPossible: false` (the new shard owning the event had not
   * even begun to identify when it reached the old set, so it can never receive it) emits it
   * without remembering it, during the overlap; it keeps memory to the events a twin may follow.
   */
  fromOld(event: ShardDispatchEvent, now: number, twinPossible = true): void {
    if (this.phase === 'closed') return;
    if (!twinPossible && this.phase === 'overlap') return this.emit(event);
    const key = this.key(event);
    if (this.phase === 'overlap' ? this.newHeld.take(key) : this.newEmitted.take(key)) {
      this.counts.duplicatesSuppressed++;
      if (this.phase !== 'overlap') return; // its twin was emitted already; a held twin never was
    } else this.remember(this.oldEmitted, key, null, now);
    this.emit(event);
  }

  /** An event from the new set: cancels its twin already emitted, else held (overlap) or emitted and remembered. */
  fromNew(event: ShardDispatchEvent, now: number): void {
    const key = this.key(event);
    if (this.oldEmitted.take(key)) {
      this.counts.duplicatesSuppressed++;
      return;
    }
    if (this.phase === 'overlap') return this.remember(this.newHeld, key, event, now);
    if (this.phase === 'switched') this.remember(this.newEmitted, key, null, now);
    this.emit(event);
  }

  /** Emits every held new event, in the order they came; from now on the first copy of an event wins. */
  switchOver(now: number): void {
    if (this.phase !== 'overlap') return;
    this.phase = 'switched';
    this.newHeld.drain((event) => {
      this.remember(this.newEmitted, this.key(event), null, now);
      this.recovered(event);
    });
  }

  /** The old set is no longer read: what was remembered of the new set's events is dropped. */
  close(): void {
    this.switchOver(Infinity);
    this.phase = 'closed';
    this.newEmitted.drain();
  }

  /**
   * Closed, and no event the old set gave awaits its twin any more (each was matched or forgotten
   * after the match window): only now may the new set's events bypass the handover. Before that,
   * a lagging new set's late copy of an event the old set emitted just before the close would go
   * out twice.
   */
  get finished(): boolean {
    return this.phase === 'closed' && this.oldEmitted.size === 0;
  }

  /** Forgets remembered events and emits held new ones that came before `now - windowMs`. */
  expire(now: number): void {
    const cutoff = now - this.windowMs;
    this.oldEmitted.expire(cutoff);
    this.newEmitted.expire(cutoff);
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
