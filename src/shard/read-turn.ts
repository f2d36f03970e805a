/**
 * Fair reading: a bound on how long one turn of the event loop spends handling inbound frames.
 *
 * Node reads every readable socket in one pass of its event loop, and each read hands `ws` a
 * chunk of up to 64 KiB, whose messages it emits at once. Under a storm (every shard streaming
 * megabytes of GUILD_CREATEs at startup) one pass over 16 sockets ran 100+ frames through the
 * decoder, 300+ ms in which no timer ran: heartbeats went out late, which at a short interval
 * got connections closed by the gateway. So frame handling is counted per turn, across every
 * shard of the process (or worker thread). Once a turn has spent `budgetMs`, a frame that comes
 * is kept, in order, in its connection's backlog, and every connection's socket that delivered
 * within `PARK_RECENT_MS` is paused (the others "parked"): what the gateway sends next stays in
 * the kernel, not in chunks read into memory to wait. The backlog (the rest of one chunk) is
 * handled at the turn's boundary (`setImmediate`, after this pass of I/O), each boundary again
 * within the budget, so timers (heartbeats, the bot's own) run between; once no frame waits,
 * every parked socket reads again, in an order that rotates so no connection is always read
 * last. Nothing is dropped or reordered; a socket that closes has its backlog handled before
 * its close.
 *
 * Why every busy socket: frames that wait outlive the young generation's collections, and are
 * promoted with the 64 KiB chunks they are views of. When only the connection that ran over
 * the budget paused, every other socket read in the same pass added a chunk to wait, and a
 * storm of 100 KiB messages held ~27 MiB of promoted chunks and a doubled young generation
 * (peak RSS 1.4x a client that never yields, bench/README.md). With every busy socket paused, at
 * most one chunk waits, and only until the next boundary.
 */

/** A connection whose frames the turn schedules. */
export interface TurnReader<D> {
  /** Handles one frame (decode, emit). */
  handleFrame(data: D, isBinary: boolean): void;
  /** Stops reading the socket (frames already read may still come, into the backlog). */
  pause(): void;
  resume(): void;
}

/** Milliseconds of frame handling per event-loop turn before frames wait for the next. */
export const READ_TURN_BUDGET_MS = 10;

/** The clock and the turn boundary, injectable for tests. */
export interface ReadTurnHost {
  now(): number;
  /** Runs `boundary` once this turn's pass of I/O is over (Node: `setImmediate`). */
  atBoundary(boundary: () => void): void;
}

const nodeHost: ReadTurnHost = {
  now: () => performance.now(),
  atBoundary: (boundary) => void setImmediate(boundary),
};

/** One connection's frames waiting for a later turn: flat pairs `data, isBinary` from `head` on (no object per frame). */
interface Backlog<D> {
  readonly items: (D | boolean)[];
  head: number;
}

/** A connection that delivered a frame this recently is paused with the others when a turn is spent. */
export const PARK_RECENT_MS = 1_000;

/** Frames one connection handles per visit of a boundary's round before the next connection's turn. */
const FRAMES_PER_VISIT = 8;

/** Schedules frame handling within a per-turn budget (see the module's comment). */
export class ReadTurn<D> {
  /** When this turn's first frame began; undefined until one does. */
  private startedAt: number | undefined;
  private boundaryScheduled = false;
  /** Frames that waited for a later turn, since the process started. */
  private deferred = 0;
  /** Each connection's waiting frames, in arrival order. */
  private readonly backlogs = new Map<TurnReader<D>, Backlog<D>>();
  /** Connections with a backlog, in the order they are served (a served one goes to the back). */
  private readonly line: TurnReader<D>[] = [];
  /** When each connection last delivered a frame: the ones that did within `recentMs` are what a spent turn pauses. */
  private readonly lastFrameAt = new Map<TurnReader<D>, number>();
  /** Connections paused with no frame waiting, because the turn was spent (on them or another). */
  private readonly parked = new Set<TurnReader<D>>();
  /** The clock as `spent()` last read it. */
  private now = 0;
  /** Where the next wake starts resuming, so the connection read first moves round. */
  private rotation = 0;
  private readonly boundary = (): void => {
    this.boundaryScheduled = false;
    this.startedAt = undefined;
    this.drain();
  };

  constructor(
    private readonly budgetMs: number = READ_TURN_BUDGET_MS,
    private readonly host: ReadTurnHost = nodeHost,
    private readonly recentMs: number = PARK_RECENT_MS,
  ) {}

  /** A frame arrived for `reader`: handled now, or kept for a later turn when this one's budget is spent. */
  receive(reader: TurnReader<D>, data: D, isBinary: boolean): void {
    if (this.backlogs.size !== 0) {
      const backlog = this.backlogs.get(reader);
      if (backlog !== undefined) {
        this.deferred++;
        return void backlog.items.push(data, isBinary);
      }
    }
    if (this.parked.delete(reader)) return this.keep(reader, data, isBinary, this.host.now()); // paused already; frames it had read still come
    if (this.spent()) {
      this.keep(reader, data, isBinary, this.now);
      reader.pause();
      return this.parkAll();
    }
    this.lastFrameAt.set(reader, this.now);
    reader.handleFrame(data, isBinary);
  }

  /** `reader`'s socket closed: what it read before the close is handled now, in order. */
  flush(reader: TurnReader<D>): void {
    this.lastFrameAt.delete(reader);
    this.parked.delete(reader);
    const backlog = this.backlogs.get(reader);
    if (backlog === undefined) return;
    this.backlogs.delete(reader); // its place in the line is skipped from now on
    const { items } = backlog;
    for (let i = backlog.head; i < items.length; i += 2) reader.handleFrame(items[i] as D, items[i + 1] as boolean);
  }

  /** `reader` is torn down: its backlog is dropped (nobody listens any more) and its socket reads again (its close must be read). */
  forget(reader: TurnReader<D>): void {
    this.lastFrameAt.delete(reader);
    const held = this.backlogs.delete(reader);
    if (this.parked.delete(reader) || held) reader.resume();
  }

  /** True while `reader`'s socket is paused by this turn (frames of its own wait, or another's do). */
  holds(reader: TurnReader<D>): boolean {
    return this.backlogs.has(reader) || this.parked.has(reader);
  }

  /** Frames that have waited for a later turn since the process started (each counted once). */
  get deferredFrames(): number {
    return this.deferred;
  }

  /** Frames kept for later turns now, over every connection. */
  get backlogFrames(): number {
    let n = 0;
    for (const backlog of this.backlogs.values()) n += (backlog.items.length - backlog.head) / 2;
    return n;
  }

  /** Starts `reader`'s backlog with one frame (its socket is paused already, or by the caller). */
  private keep(reader: TurnReader<D>, data: D, isBinary: boolean, now: number): void {
    this.deferred++;
    this.lastFrameAt.set(reader, now);
    this.backlogs.set(reader, { items: [data, isBinary], head: 0 });
    this.line.push(reader);
  }

  /**
   * The turn is spent: every other connection that delivered lately stops reading until no frame
   * waits. One quiet for longer than `recentMs` is left reading (and forgotten here until it
   * delivers again): pausing it costs two system calls and saves nothing, and a process may hold
   * hundreds of idle shards beside the few in a storm.
   */
  private parkAll(): void {
    const since = this.now - this.recentMs;
    for (const [reader, at] of this.lastFrameAt) {
      if (at < since) {
        this.lastFrameAt.delete(reader);
        continue;
      }
      if (this.backlogs.has(reader) || this.parked.has(reader)) continue;
      this.parked.add(reader);
      reader.pause();
    }
  }

  /** No frame waits: every parked connection reads again, starting one further round each time. */
  private wake(): void {
    const parked = [...this.parked];
    this.parked.clear();
    const n = parked.length;
    if (n === 0) return;
    const first = this.rotation++ % n;
    for (let i = 0; i < n; i++) parked[(first + i) % n]!.resume();
  }

  /** Opens the turn's count if needed; true when the turn has spent its budget. */
  private spent(): boolean {
    const now = this.host.now();
    this.now = now;
    if (this.startedAt === undefined) {
      this.startedAt = now;
      this.scheduleBoundary();
      return false;
    }
    if (now - this.startedAt < this.budgetMs) return false;
    this.scheduleBoundary();
    return true;
  }

  private scheduleBoundary(): void {
    if (this.boundaryScheduled) return;
    this.boundaryScheduled = true;
    this.host.atBoundary(this.boundary);
  }

  /**
   * At a boundary: the connections in line, a few frames each per visit, within a fresh budget;
   * what is left waits for the next boundary. A connection served goes to the back of the line,
   * so every backlog moves at every boundary or two, whichever connection fell behind first. A
   * connection whose backlog is done stays parked until no backlog is left; then all read again.
   */
  private drain(): void {
    const { line } = this;
    while (line.length !== 0) {
      const reader = line[0] as TurnReader<D>;
      const backlog = this.backlogs.get(reader);
      if (backlog === undefined) {
        line.shift(); // flushed or forgotten meanwhile
        continue;
      }
      const { items } = backlog;
      for (let n = 0; n < FRAMES_PER_VISIT && backlog.head < items.length; n++) {
        if (this.spent()) return;
        const at = backlog.head;
        backlog.head += 2;
        const data = items[at] as D;
        items[at] = false; // handled: the backlog no longer holds the frame (a view of its socket chunk) while the rest waits
        reader.handleFrame(data, items[at + 1] as boolean);
        if (this.backlogs.get(reader) !== backlog) break; // flushed or forgotten by the frame's own handling
      }
      line.shift();
      if (this.backlogs.get(reader) !== backlog) continue;
      if (backlog.head < items.length) line.push(reader);
      else {
        this.backlogs.delete(reader);
        this.parked.add(reader);
      }
    }
    this.wake();
  }
}

/** The process's (or worker thread's) one turn, shared by every shard on its event loop. */
export const readTurn = new ReadTurn<import('ws').RawData>();
