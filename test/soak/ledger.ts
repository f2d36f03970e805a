/**
 * The soak's bookkeeping, apart from the run: where each numbered dispatch was sent (its shard,
 * session and seq), what reached `dispatch$`, and what the client said about sessions. Each
 * missing dispatch is then explained on its own, not by a count: it belongs to a session the
 * client reported lost (past the `lastSeq` it gave), or to a session whose READY never reached
 * the client, or to neither, and then it was lost silently.
 */

/** Where one numbered dispatch went. */
interface Sent {
  readonly sessionId: string;
  readonly seq: number;
}

/** What the ledger found. */
export interface LedgerTally {
  /** Dispatches sent into a session. */
  readonly sent: number;
  /** Dispatches that reached `dispatch$`. */
  readonly checked: number;
  /** Missing, sent into a session the client reported lost, after the `lastSeq` it reported. */
  readonly lostReported: number;
  /**
   * Missing, sent into a session whose READY never reached the client: it was made for an
   * Identify whose answer the connection lost (or the client gave up waiting for), so the client
   * never knew it and cannot report it. Discord has such sessions too.
   */
  readonly lostUnannounced: number;
  /** Missing with neither explanation: must be 0. */
  readonly lostSilently: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  /** Sessions the client reported lost. */
  readonly sessionsLost: number;
  /** Each gap the client saw, `[shardId, last n before, first n after]`, at most 40. */
  readonly gaps: readonly (readonly number[])[];
  /** Each dispatch lost silently, `[shardId, n, seq, the lastSeq reported for its session or null]`, at most 40. */
  readonly silent: readonly (readonly (number | null)[])[];
}

/** Counts and explains one soak's dispatches, shard by shard (see the file's comment). */
export class SoakLedger {
  private readonly sentIn: Sent[][];
  private readonly last: number[];
  private readonly announced = new Set<string>();
  private readonly lost = new Map<string, number>();
  private readonly missing: Array<{ readonly shardId: number; readonly n: number }> = [];
  private readonly gaps: number[][] = [];
  private sentTotal = 0;
  private checked = 0;
  private skipped = 0;
  private duplicated = 0;
  private outOfOrder = 0;

  constructor(shards: number) {
    this.sentIn = Array.from({ length: shards }, () => []);
    this.last = new Array<number>(shards).fill(-1);
  }

  /** The number the next dispatch of `shardId` carries (`d.n`). */
  nextOf(shardId: number): number {
    return this.sentIn[shardId]!.length;
  }

  /** Records that dispatch `nextOf(shardId)` went into `sessionId` under `seq`. */
  sent(shardId: number, sessionId: string, seq: number): void {
    this.sentIn[shardId]!.push({ sessionId, seq });
    this.sentTotal++;
  }

  /** The client announced a session (its READY reached the client, or it resumed one). */
  announce(sessionId: string): void {
    this.announced.add(sessionId);
  }

  /** The client reported a session lost: what came after `lastSeq` in it never reached it. */
  lose(sessionId: string, lastSeq: number): void {
    this.lost.set(sessionId, lastSeq);
  }

  /** Dispatch `n` of `shardId` reached `dispatch$`. */
  receive(shardId: number, n: number): void {
    this.checked++;
    const previous = this.last[shardId]!;
    if (n === previous + 1) this.last[shardId] = n;
    else if (n <= previous) (n === previous ? this.duplicated++ : this.outOfOrder++);
    else {
      if (this.gaps.length < 40) this.gaps.push([shardId, previous, n]);
      for (let m = previous + 1; m < n; m++) this.missing.push({ shardId, n: m });
      this.skipped += n - previous - 1;
      this.last[shardId] = n;
    }
  }

  /** Dispatches sent that neither reached `dispatch$` nor were skipped over by a later one. */
  get outstanding(): number {
    return this.sentTotal - this.checked - this.skipped;
  }

  /** The shards whose last dispatch sent has not reached `dispatch$` yet. */
  behind(): number[] {
    return this.last.flatMap((n, shardId) => (n < this.sentIn[shardId]!.length - 1 ? [shardId] : []));
  }

  /** Explains every missing dispatch (call it once the client has caught up). */
  tally(): LedgerTally {
    let lostReported = 0;
    let lostUnannounced = 0;
    const silent: (number | null)[][] = [];
    for (const { shardId, n } of this.missing) {
      const { sessionId, seq } = this.sentIn[shardId]![n]!;
      const lastSeq = this.lost.get(sessionId);
      if (lastSeq !== undefined && seq > lastSeq) lostReported++;
      else if (!this.announced.has(sessionId)) lostUnannounced++;
      else if (silent.length < 40) silent.push([shardId, n, seq, lastSeq ?? null]);
    }
    return {
      sent: this.sentTotal,
      checked: this.checked,
      lostReported,
      lostUnannounced,
      lostSilently: this.missing.length - lostReported - lostUnannounced,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      sessionsLost: this.lost.size,
      gaps: this.gaps,
      silent,
    };
  }
}
