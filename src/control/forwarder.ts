import type { Observable, Observer, Subscription } from 'rxjs';
import type { ShardDispatchEvent } from '../shard/types.js';
import { DEFAULT_MAX_UNREAD_BYTES, type ForwardCounts, ForwardWindow } from './forward-window.js';
import type { ToControlMessage } from './to-control.js';
import { wireSize } from './wire-size.js';

/** Bytes a `dispatch` message costs beyond its name and `d` (the envelope's keys and numbers). */
const ENVELOPE_BYTES = 64;

/** What `forwardDispatches` needs. */
export interface ForwarderOptions {
  /** The names to forward (`start.forward.dispatches`). */
  readonly names: readonly string[];
  /** Bound on forwarded bytes CONTROL has not acknowledged (default `DEFAULT_MAX_UNREAD_BYTES`). */
  readonly maxUnreadBytes?: number;
  /** Sends a message to CONTROL (never waits). */
  readonly send: (message: ToControlMessage) => void;
  /** The clock of drop reports, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Dispatches being forwarded to CONTROL, until `stop()`. */
export interface Forwarder {
  /** CONTROL's `forward-read`: it has taken `total` forwarded dispatches since the start. */
  read(total: number): void;
  /** The window's counters, for `stats`. */
  counts(): ForwardCounts;
  /** Stops forwarding (unsubscribes). */
  stop(): void;
}

/** The dispatch$ subscriber: one object, so a dispatch not forwarded costs one `Set` lookup. */
class DispatchForwarder implements Partial<Observer<ShardDispatchEvent>> {
  constructor(
    private readonly names: ReadonlySet<string>,
    private readonly window: ForwardWindow,
    private readonly send: (message: ToControlMessage) => void,
    private readonly now: () => number,
  ) {}

  next(e: ShardDispatchEvent): void {
    if (!this.names.has(e.t)) return;
    if (this.window.offer(e.t, ENVELOPE_BYTES + e.t.length + wireSize(e.d), this.now())) {
      this.send({ type: 'dispatch', shardId: e.shardId, t: e.t, s: e.s, d: e.d });
    }
  }
}

/**
 * Forwards the dispatches named in `names` to CONTROL within a window of unread bytes: past it,
 * drops them and counts them, and sends `forward-dropped` once CONTROL's acknowledgements
 * (`read`) brought the window down to half. `dispatch$` is never held up: a dropped dispatch
 * costs the size estimate and a counter.
 */
export const forwardDispatches = (dispatch$: Observable<ShardDispatchEvent>, options: ForwarderOptions): Forwarder => {
  const window = new ForwardWindow(options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES);
  const { send } = options;
  const subscription: Subscription = dispatch$.subscribe(new DispatchForwarder(new Set(options.names), window, send, options.now ?? Date.now));
  return {
    read(total) {
      const report = window.read(total);
      if (report !== null) send({ type: 'forward-dropped', dispatches: { ...report.dispatches }, total: report.total, firstAt: report.firstAt, lastAt: report.lastAt });
    },
    counts: () => window.counts(),
    stop: () => subscription.unsubscribe(),
  };
};
