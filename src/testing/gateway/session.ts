/**
 * A gateway session: its sequence counter and a bounded buffer of its dispatches, so a resume
 * can replay exactly what came after the client's last sequence.
 */
import { randomBytes } from 'node:crypto';
import type { DispatchTemplate } from '../wire/frames.js';

/** One buffered dispatch. */
export interface BufferedDispatch {
  readonly s: number;
  readonly tpl: DispatchTemplate;
  /** The `emulator_ts` stamp, if the dispatch was stamped. */
  readonly stamp: number | undefined;
}

/** A session of one shard; at most one live connection at a time. */
export class Session {
  /** A 32-hex-digit id, like Discord's. */
  readonly id = randomBytes(16).toString('hex');
  /** The last sequence number given out (READY is 1). */
  seq = 0;
  /** The live connection's id, if any. */
  connectionId: number | undefined;
  /** Pending expiry while detached. */
  ttlTimer: NodeJS.Timeout | undefined;
  private readonly ring: (BufferedDispatch | undefined)[];
  private head = 0;
  private size = 0;
  /** Every sequence up to this one was evicted from the buffer. */
  private evictedThrough = 0;

  constructor(
    /** `shard[0]` of the Identify (0 without the field). */
    readonly shardId: number,
    /** `shard[1]` of the Identify (1 without the field). */
    readonly numShards: number,
    readonly intents: number,
    capacity: number,
    /** When the session was created (`performance.now()`). */
    readonly createdAt: number,
  ) {
    this.ring = new Array<BufferedDispatch | undefined>(capacity);
  }

  /** How many dispatches are buffered. */
  get buffered(): number {
    return this.size;
  }

  /** Gives out the next sequence number without buffering (RESUMED is not replayed). */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Buffers a dispatch under the next sequence number and returns it. */
  push(tpl: DispatchTemplate, stamp: number | undefined): BufferedDispatch {
    const entry: BufferedDispatch = { s: ++this.seq, tpl, stamp };
    const capacity = this.ring.length;
    if (this.size === capacity) {
      const oldest = this.ring[this.head];
      if (oldest !== undefined) this.evictedThrough = oldest.s;
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % capacity;
    } else {
      this.ring[(this.head + this.size) % capacity] = entry;
      this.size++;
    }
    return entry;
  }

  /**
   * The buffered dispatches after `seq`, oldest first; undefined when some of them were already
   * evicted (the session cannot be resumed from there).
   */
  after(seq: number): BufferedDispatch[] | undefined {
    if (seq < this.evictedThrough) return undefined;
    const out: BufferedDispatch[] = [];
    const capacity = this.ring.length;
    // Walk back from the newest entry: a resume usually replays only a few.
    let i = this.size - 1;
    for (; i >= 0; i--) {
      const entry = this.ring[(this.head + i) % capacity];
      if (entry === undefined || entry.s <= seq) break;
    }
    for (let k = i + 1; k < this.size; k++) {
      const entry = this.ring[(this.head + k) % capacity];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}
