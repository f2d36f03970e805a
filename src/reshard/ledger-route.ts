import type { ShardDispatchEvent } from '../shard/types.js';
import { type Crossing, rawHandoverKey } from './crossing.js';
import type { HandoverLedger, HandoverSide } from './ledger.js';
import { PendingMultiset } from './pending-multiset.js';
import type { ReshardLedgerEvent } from './reshard-events.js';

/** Counters of a ledger route (part of `ReshardReport.ledger`). */
export interface LedgerCounts {
  /** Copies offered to the ledger (one ledger operation each, batched per turn). */
  offered: number;
  /** Copies the ledger admitted (emitted). */
  admitted: number;
  /** Copies the ledger refused: the other cluster emitted that event. */
  suppressed: number;
  /** Copies emitted without a verdict because the ledger could not be reached (at-least-once). */
  fallbacks: number;
}

/** What a `LedgerRoute` needs. */
export interface LedgerRouteOptions {
  readonly ledger: HandoverLedger;
  readonly crossing: Crossing;
  /** Where admitted copies go: the old set's output, or `dispatch$` for the new set's. */
  readonly emit: (event: ShardDispatchEvent, side: HandoverSide) => void;
  /** The match window: how long after the old set closed (or after an abort) copies are still judged. */
  readonly windowMs: number;
  /** The clock (the cluster's scheduler). */
  readonly now: () => number;
  /** Reports the ledger becoming unreachable (and reachable again). */
  readonly report: (event: ReshardLedgerEvent) => void;
}

interface Offer {
  readonly side: HandoverSide;
  readonly event: ShardDispatchEvent;
  readonly key: string;
}

/**
 * The part of one cluster's reshard that goes through a shared `HandoverLedger`: events of guilds
 * that cross clusters (`Crossing`). The rest stays with the in-process `Handover`.
 *
 * From the preparation on, every crossing copy is offered (`old` from the old set, `new` from the
 * new set) and emitted if the ledger admits it: across the fleet, per key, `max(old, new)` copies
 * go out. Old copies are offered at once. Before the switch, new copies are held a quarter of the
 * window (`holdMs`) first: when both copies come close together the old set's goes out, as in one
 * process, so a cluster that aborts has emitted next to nothing of its own. Never longer: a copy
 * held past the ledger's memory of its twin (`windowMs` after the twin's offer) would go out twice.
 * The switch offers what is held; from then on new copies are offered at once. The route ends by time:
 * - `close()` (the old set is no longer read): new copies are still judged for `windowMs` (a
 *   lagging new set brings late copies of what another cluster's old set emitted), then off;
 * - `abort()` (the preparation was abandoned): old copies are still judged for `windowMs` (another
 *   cluster's new set may have emitted their twin first), then off.
 *
 * Offers are batched per microtask turn and emitted in arrival order once their verdicts came. A
 * ledger that rejects an offer (unreachable) makes the route emit that batch as is (at-least-once),
 * count it in `fallbacks` and report the state change: never a silent loss.
 */
export class LedgerRoute {
  readonly counts: LedgerCounts = { offered: 0, admitted: 0, suppressed: 0, fallbacks: 0 };
  /** Which sides are still judged, until when (`Infinity`: until `close` or `abort`). */
  private judged: { readonly old: boolean; readonly new: boolean; readonly until: number } = { old: true, new: true, until: Infinity };
  /** New copies held before the switch. */
  private readonly held = new PendingMultiset<Offer>();
  private switched = false;
  private batch: Offer[] = [];
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private reachable = true;

  constructor(private readonly options: LedgerRouteOptions) {}

  /** An event of the old set: true when the route took it (a crossing guild's), false to leave it to the in-process handover (or to the old set's output). */
  fromOld(event: ShardDispatchEvent): boolean {
    if (!this.judging('old') || !this.options.crossing.oldCopy(event)) return false;
    this.offer('old', event);
    return true;
  }

  /** An event of the new set (start-up noise already taken out): true when the route took it. */
  fromNew(event: ShardDispatchEvent): boolean {
    if (!this.judging('new') || !this.options.crossing.newCopy(event)) return false;
    const key = rawHandoverKey(event);
    if (this.switched) this.offer('new', event, key);
    else this.held.add(key, { side: 'new', event, key }, this.options.now());
    return true;
  }

  /** Held new copies are offered, in their order; from now on new copies are offered at once. */
  switchOver(): void {
    this.switched = true;
    this.held.drain(this.push);
  }

  /** Offers the new copies held for `holdMs` (a quarter of the window). */
  expire(): void {
    this.held.expire(this.options.now() - this.holdMs, this.push);
  }

  /** How long a new copy is held before the switch. */
  get holdMs(): number {
    return Math.floor(this.options.windowMs / 4);
  }

  /** The old set is no longer read: only new copies are judged, for one more window. */
  close(): void {
    this.switchOver();
    if (this.judged.until === Infinity) this.judged = { old: false, new: true, until: this.options.now() + this.options.windowMs };
  }

  /** The preparation was abandoned: held new copies are dropped, only old copies are judged, for one more window. */
  abort(): void {
    this.held.drain();
    if (this.judged.until === Infinity) this.judged = { old: true, new: false, until: this.options.now() + this.options.windowMs };
  }

  /** No side is judged any more, and every verdict asked for has come and been acted on. */
  get finished(): boolean {
    return this.options.now() >= this.judged.until && this.held.size === 0 && this.inFlight === 0 && this.batch.length === 0;
  }

  private judging(side: HandoverSide): boolean {
    return this.judged[side] && this.options.now() < this.judged.until;
  }

  private offer(side: HandoverSide, event: ShardDispatchEvent, key = rawHandoverKey(event)): void {
    this.push({ side, event, key });
  }

  /** Adds an offer to this turn's batch. */
  private readonly push = (offer: Offer): void => {
    if (this.batch.length === 0) queueMicrotask(this.flush);
    this.batch.push(offer);
  };

  /** Sends this turn's offers, one call per side, and queues their verdicts behind the previous ones. */
  private readonly flush = (): void => {
    const batch = this.batch;
    this.batch = [];
    for (const side of ['old', 'new'] as const) {
      const offers = batch.filter((o) => o.side === side);
      if (offers.length === 0) continue;
      this.counts.offered += offers.length;
      this.inFlight++;
      const verdicts = this.options.ledger.offer(side, offers.map((o) => o.key)).then(
        (v) => (v.length === offers.length ? v : new Error(`the ledger answered ${v.length} verdicts for ${offers.length} keys`)),
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      this.tail = this.tail.then(async () => {
        const result = await verdicts;
        this.inFlight--;
        this.act(offers, result);
      });
    }
  };

  private act(offers: readonly Offer[], result: readonly boolean[] | Error): void {
    const { emit, report } = this.options;
    if (result instanceof Error) {
      this.counts.fallbacks += offers.length;
      if (this.reachable) {
        this.reachable = false;
        report({ type: 'reshard-ledger', state: 'unreachable', fallbacks: this.counts.fallbacks, reason: result.message.slice(0, 512) });
      }
      for (const o of offers) emit(o.event, o.side);
      return;
    }
    if (!this.reachable) {
      this.reachable = true;
      report({ type: 'reshard-ledger', state: 'reachable', fallbacks: this.counts.fallbacks });
    }
    offers.forEach((o, i) => {
      if (result[i] === true) {
        this.counts.admitted++;
        emit(o.event, o.side);
      } else this.counts.suppressed++;
    });
  }
}
