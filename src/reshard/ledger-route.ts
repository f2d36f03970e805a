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
  /** Where admitted copies go (`dispatch$`). */
  readonly emit: (event: ShardDispatchEvent) => void;
  /** The match window: new copies are held at most this long before the switch; the route stays on this long after the old set closed. */
  readonly windowMs: number;
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
 * - old set: every crossing copy is offered at once as `old` and emitted if admitted;
 * - new set, before the switch: crossing copies are held (as the in-process handover holds them)
 *   and offered at the switch, or once held `windowMs` (the old set missed them);
 * - new set, from the switch: offered at once as `new`;
 * - after the old set closed, `windowMs` more, then off (`finished`): a lagging new set's late
 *   copies of what another cluster's old set emitted are still matched.
 *
 * Offers are batched per microtask turn and emitted in arrival order once their verdicts came. A
 * ledger that rejects an offer (unreachable) makes the route emit that batch as is (at-least-once),
 * count it in `fallbacks` and report the state change: never a silent loss.
 */
export class LedgerRoute {
  readonly counts: LedgerCounts = { offered: 0, admitted: 0, suppressed: 0, fallbacks: 0 };
  private phase: 'overlap' | 'switched' | 'closing' | 'off' = 'overlap';
  private readonly held = new PendingMultiset<ShardDispatchEvent>();
  private batch: Offer[] = [];
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private closedAt = 0;
  private reachable = true;

  constructor(private readonly options: LedgerRouteOptions) {}

  /** An event of the old set: true when the route took it (a crossing guild's), false to leave it to the in-process handover. */
  fromOld(event: ShardDispatchEvent): boolean {
    if (this.phase === 'off' || this.phase === 'closing' || !this.options.crossing.oldCopy(event)) return false;
    this.offer('old', event, rawHandoverKey(event));
    return true;
  }

  /** An event of the new set (start-up noise already taken out): true when the route took it. */
  fromNew(event: ShardDispatchEvent, now: number): boolean {
    if (this.phase === 'off' || !this.options.crossing.newCopy(event)) return false;
    const key = rawHandoverKey(event);
    if (this.phase === 'overlap') this.held.add(key, event, now);
    else this.offer('new', event, key);
    return true;
  }

  /** The switch: held new copies are offered in their order; from now on new copies are offered at once. */
  switchOver(): void {
    if (this.phase !== 'overlap') return;
    this.phase = 'switched';
    this.held.drain((event) => this.offer('new', event, rawHandoverKey(event)));
  }

  /** Offers held new copies older than the window; turns the route off `windowMs` after the old set closed. */
  expire(now: number): void {
    if (this.phase === 'overlap') this.held.expire(now - this.options.windowMs, (event) => this.offer('new', event, rawHandoverKey(event)));
    if (this.phase === 'closing' && now - this.closedAt >= this.options.windowMs) this.phase = 'off';
  }

  /** The old set is no longer read. */
  close(now: number): void {
    this.switchOver();
    if (this.phase === 'switched') {
      this.phase = 'closing';
      this.closedAt = now;
    }
  }

  /** The preparation was abandoned: held new copies are dropped (the old set delivered or will deliver them), the route is off. */
  abort(): void {
    this.held.drain();
    this.phase = 'off';
  }

  /** Off, and every verdict asked for has come and been acted on. */
  get finished(): boolean {
    return this.phase === 'off' && this.inFlight === 0 && this.batch.length === 0;
  }

  private offer(side: HandoverSide, event: ShardDispatchEvent, key: string): void {
    if (this.batch.length === 0) queueMicrotask(this.flush);
    this.batch.push({ side, event, key });
  }

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
    if (result instanceof Error) {
      this.counts.fallbacks += offers.length;
      if (this.reachable) {
        this.reachable = false;
        this.options.report({ type: 'reshard-ledger', state: 'unreachable', fallbacks: this.counts.fallbacks, reason: result.message.slice(0, 512) });
      }
      for (const o of offers) this.options.emit(o.event);
      return;
    }
    if (!this.reachable) {
      this.reachable = true;
      this.options.report({ type: 'reshard-ledger', state: 'reachable', fallbacks: this.counts.fallbacks });
    }
    offers.forEach((o, i) => {
      if (result[i] === true) {
        this.counts.admitted++;
        this.options.emit(o.event);
      } else this.counts.suppressed++;
    });
  }
}
