/**
 * The bounded, ordered log behind `gw.records`, with `waitFor` so tests await what happened
 * instead of sleeping.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { EmulatorRecord, RecordPredicate, SessionRecord, Violation } from './records.js';

interface Waiter {
  readonly test: (record: EmulatorRecord) => boolean;
  readonly resolve: (record: EmulatorRecord) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const describe = (r: EmulatorRecord): string => {
  switch (r.kind) {
    case 'frame': return `frame#${r.connectionId} op ${r.op}`;
    case 'close': return `close#${r.connectionId} ${r.code} by ${r.by}`;
    case 'open': return `open#${r.connectionId} ${r.path}`;
    case 'session': return `session ${r.event} shard ${r.shardId}`;
    case 'violation': return `violation ${r.rule}`;
    case 'http': return `http ${r.method} ${r.path} ${r.status}`;
  }
};

/** An append-only log keeping about the newest `limit` records (trimmed in batches of up to 1024). */
export class RecordLog {
  private readonly list: EmulatorRecord[] = [];
  private readonly violationList: Violation[] = [];
  private readonly identifyList: SessionRecord[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly subscribers = new Set<Subscriber<EmulatorRecord>>();

  constructor(private readonly limit: number) {}

  /** Every kept record, oldest first. */
  get records(): readonly EmulatorRecord[] {
    return this.list;
  }

  /** Every violation (never dropped). */
  get violations(): readonly Violation[] {
    return this.violationList;
  }

  /** Every accepted Identify: the `session` records with `event: 'created'` (never dropped). */
  get acceptedIdentifies(): readonly SessionRecord[] {
    return this.identifyList;
  }

  /** Appends a record and wakes the waiters it matches. */
  push(record: EmulatorRecord): void {
    this.list.push(record);
    // Trim in batches so a full log costs O(1) per record, amortized.
    if (this.list.length > this.limit + Math.min(this.limit, 1024)) this.list.splice(0, this.list.length - this.limit);
    if (record.kind === 'violation') this.violationList.push(record);
    else if (record.kind === 'session' && record.event === 'created') this.identifyList.push(record);
    for (const w of this.waiters) {
      let hit: boolean;
      try {
        hit = w.test(record);
      } catch (error) {
        // A throwing predicate fails its own waiter, never the emulator.
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.reject(error as Error);
        continue;
      }
      if (hit) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(record);
      }
    }
    for (const subscriber of this.subscribers) subscriber.next(record);
  }

  /** The first record, past or future, matching `predicate`; rejects after `timeoutMs`. */
  waitFor<R extends EmulatorRecord>(predicate: RecordPredicate<R>, timeoutMs = 5000): Promise<R> {
    const test = predicate as (record: EmulatorRecord) => boolean;
    let past: EmulatorRecord | undefined;
    try {
      past = this.list.find(test);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (past !== undefined) return Promise.resolve(past as R);
    return new Promise<R>((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve: resolve as (record: EmulatorRecord) => void,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const recent = this.list.slice(-8).map(describe).join(', ') || 'none';
          reject(new Error(`emulator waitFor timed out after ${timeoutMs} ms; the last records: ${recent}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Every future record, as a hot Observable. */
  observe(): Observable<EmulatorRecord> {
    return new Observable<EmulatorRecord>((subscriber) => {
      this.subscribers.add(subscriber);
      return () => this.subscribers.delete(subscriber);
    });
  }

  /** Rejects every pending waiter and completes every observer: the emulator closed. */
  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('emulator closed before the awaited record arrived'));
    }
    this.waiters.clear();
    for (const subscriber of [...this.subscribers]) subscriber.complete();
    this.subscribers.clear();
  }
}
