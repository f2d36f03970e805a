/**
 * Late delivery by layout: a gateway does not hand a guild's event to every session at the same
 * instant (during a reshard the new sessions may sit on other gateway nodes). `LayoutLag` sends
 * each dispatch to the connections of one shard count `ms` later than it was routed; the session
 * numbers and buffers it at once (a resume replays it as usual), only the send waits. Order on a
 * connection is kept (one FIFO per connection).
 */
import type { Connection } from './connection.js';
import type { DispatchTemplate } from '../wire/frames.js';

/** One dispatch waiting for its time. */
interface Late {
  readonly due: number;
  readonly tpl: DispatchTemplate;
  readonly s: number;
  readonly stamp: number | undefined;
}

interface Queue {
  readonly items: Late[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Per shard count, how late its sessions' connections get their dispatches. */
export class LayoutLag {
  private readonly lagMs = new Map<number, number>();
  private readonly queues = new Map<Connection, Queue>();

  /** Sets the lag of the sessions of `numShards` shards (0: at once again; queued dispatches keep their time). */
  set(numShards: number, ms: number): void {
    if (!Number.isInteger(numShards) || numShards < 1) throw new RangeError(`emulator delayLayout: numShards must be a positive integer, got ${numShards}`);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`emulator delayLayout: ms must be a finite number >= 0, got ${ms}`);
    if (ms === 0) this.lagMs.delete(numShards);
    else this.lagMs.set(numShards, ms);
  }

  /** Sends the dispatch now, or queues it behind the connection's late ones. */
  send(conn: Connection, numShards: number, tpl: DispatchTemplate, s: number, stamp: number | undefined): void {
    const ms = this.lagMs.get(numShards) ?? 0;
    const queue = this.queues.get(conn);
    if (ms === 0 && queue === undefined) return conn.sendDispatch(tpl, s, stamp);
    const now = performance.now();
    if (queue === undefined) {
      this.queues.set(conn, { items: [{ due: now + ms, tpl, s, stamp }], timer: undefined });
      return this.schedule(conn, now);
    }
    queue.items.push({ due: now + ms, tpl, s, stamp });
  }

  /** Clears every timer and drops what waits (the emulator closes). */
  clear(): void {
    for (const queue of this.queues.values()) if (queue.timer !== undefined) clearTimeout(queue.timer);
    this.queues.clear();
  }

  private schedule(conn: Connection, now: number): void {
    const queue = this.queues.get(conn)!;
    const head = queue.items[0]!;
    queue.timer = setTimeout(() => this.flush(conn), Math.max(0, head.due - now));
  }

  /** Sends what is due; a closed connection's queue is dropped (its session replays on resume), a zombie's is left to its catch-up. */
  private flush(conn: Connection): void {
    const queue = this.queues.get(conn);
    if (queue === undefined) return;
    queue.timer = undefined;
    const now = performance.now();
    while (queue.items.length > 0 && queue.items[0]!.due <= now) {
      const late = queue.items.shift()!;
      // sent already by a zombie's catch-up, or held for it
      if (conn.open && !conn.zombie && late.s > conn.sentSeq) conn.sendDispatch(late.tpl, late.s, late.stamp);
    }
    if (!conn.open || queue.items.length === 0) this.queues.delete(conn);
    else this.schedule(conn, now);
  }
}
