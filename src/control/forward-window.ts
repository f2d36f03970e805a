/**
 * The pure accounting of forwarding dispatches to CONTROL: a window of what was handed to the
 * channel and not yet read by CONTROL (its `forward-read` acknowledgements), and the tally of
 * what was dropped while the window was full. No I/O, no clock: the caller passes the time.
 *
 * A dispatch is forwarded when it fits in the window (unread bytes plus its own size within
 * `maxUnreadBytes`), or when nothing is unread at all (a single dispatch larger than the window
 * is still delivered, alone). Otherwise it is dropped and counted, and a gap opens: every later
 * dispatch is dropped too until CONTROL has read the window down to half, when the gap closes
 * and its report is due (so a CONTROL that keeps up only just gets one report per half window,
 * not one per dispatch).
 */

/** What was dropped in one gap: counts by dispatch name and the time of the first and last drop. */
export interface DropReport {
  readonly dispatches: Readonly<Record<string, number>>;
  readonly total: number;
  /** `now` of the first drop of the gap (ms). */
  readonly firstAt: number;
  /** `now` of the last drop of the gap (ms). */
  readonly lastAt: number;
}

/** The window's counters, for `stats` and the metrics. */
export interface ForwardCounts {
  readonly maxUnreadBytes: number;
  /** Bytes (estimated) forwarded and not yet read by CONTROL. */
  readonly unreadBytes: number;
  /** Dispatches forwarded and not yet read by CONTROL. */
  readonly unreadDispatches: number;
  /** Dispatches forwarded since the start. */
  readonly forwarded: number;
  /** Dispatches dropped since the start, by name. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Gaps (runs of drops) since the start; each one is reported once it closes. */
  readonly gaps: number;
}

/** The default bound on forwarded bytes CONTROL has not read: 2 MiB. */
export const DEFAULT_MAX_UNREAD_BYTES = 2 << 20;

/** A window of forwarded dispatches and the tally of dropped ones. */
export class ForwardWindow {
  /** Sizes of the forwarded dispatches not yet read, oldest first (from `head`). */
  private sizes: number[] = [];
  private head = 0;
  private unread = 0;
  private forwardedTotal = 0;
  private readTotal = 0;
  private gapCount = 0;
  private readonly droppedTotal = new Map<string, number>();
  /** The open gap's tally, or null when dispatches are forwarded. */
  private gap: { counts: Map<string, number>; total: number; firstAt: number; lastAt: number } | null = null;

  constructor(readonly maxUnreadBytes: number = DEFAULT_MAX_UNREAD_BYTES) {}

  /** Whether a dispatch `name` of `bytes` is forwarded (true: send it now) or dropped and counted (false). */
  offer(name: string, bytes: number, now: number): boolean {
    const pending = this.sizes.length - this.head;
    if (this.gap === null && (pending === 0 || this.unread + bytes <= this.maxUnreadBytes)) {
      this.sizes.push(bytes);
      this.unread += bytes;
      this.forwardedTotal++;
      return true;
    }
    if (this.gap === null) {
      this.gap = { counts: new Map(), total: 0, firstAt: now, lastAt: now };
      this.gapCount++;
    }
    this.gap.counts.set(name, (this.gap.counts.get(name) ?? 0) + 1);
    this.gap.total++;
    this.gap.lastAt = now;
    this.droppedTotal.set(name, (this.droppedTotal.get(name) ?? 0) + 1);
    return false;
  }

  /**
   * CONTROL has read `total` forwarded dispatches since the start (cumulative; a stale or repeated
   * count changes nothing, a count past what was forwarded is capped). Returns the open gap's
   * report when this read closed it (send it before any later dispatch), else null.
   */
  read(total: number): DropReport | null {
    const upTo = Math.min(Math.floor(total), this.forwardedTotal);
    while (this.readTotal < upTo) {
      this.unread -= this.sizes[this.head]!;
      this.head++;
      this.readTotal++;
    }
    if (this.head > 1024 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    if (this.gap === null || this.unread > this.maxUnreadBytes / 2) return null;
    const { counts, total: dropped, firstAt, lastAt } = this.gap;
    this.gap = null;
    return { dispatches: Object.fromEntries(counts), total: dropped, firstAt, lastAt };
  }

  /** Whether dispatches are being dropped (a gap is open). */
  get dropping(): boolean {
    return this.gap !== null;
  }

  /** The counters since the start. */
  counts(): ForwardCounts {
    return {
      maxUnreadBytes: this.maxUnreadBytes,
      unreadBytes: this.unread,
      unreadDispatches: this.sizes.length - this.head,
      forwarded: this.forwardedTotal,
      dropped: Object.fromEntries(this.droppedTotal),
      gaps: this.gapCount,
    };
  }
}
