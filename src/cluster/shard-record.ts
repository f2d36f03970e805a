import type { Observer, Subscribable, Unsubscribable } from 'rxjs';
import type { CommandRequest, SessionSnapshot, ShardFatalEvent, ShardStatus } from '../shard/types.js';

/** What a cluster reports of one shard. */
export interface ShardInfo {
  readonly shardId: number;
  readonly status: ShardStatus;
  /** The last close code seen, if any. */
  readonly lastCloseCode: number | null;
  /** Round trip of the last heartbeat, ms. */
  readonly latencyMs: number | null;
  /** Last sequence number received. */
  readonly seq: number | null;
  /** Dispatches delivered since the cluster started. */
  readonly events: number;
  readonly fatal: ShardFatalEvent | null;
  /** Only on the new shards of a reshard being prepared (ids may repeat the running ones'): the shard count of their layout. */
  readonly preparing?: { readonly totalShards: number };
}

/** The cluster's mutable bookkeeping of one shard: a class, so a thousand of them share their methods. */
export class ShardRecord implements Subscribable<CommandRequest> {
  status: ShardStatus = 'closed';
  lastCloseCode: number | null = null;
  latencyMs: number | null = null;
  seq: number | null = null;
  events = 0;
  session: SessionSnapshot | null = null;
  /** The sequence moved since the store last heard of this session. */
  dirty = false;
  readyOnce = false;
  fatal: ShardFatalEvent | null = null;
  live = false;
  /** The shard's stream was subscribed (it may wait for its identify wave before that). */
  started = false;
  /** Commands sent before the shard started, handed to it when it does. */
  readonly early: CommandRequest[] = [];
  /** The running shard's command input, while it listens. */
  private sink: Partial<Observer<CommandRequest>> | null = null;
  /** Called when the shard's stream ends; made only when someone waits for that. */
  private waiters: (() => void)[] | null = null;
  private ended = false;

  constructor(readonly shardId: number) {}

  /**
   * The shard's commands, as its `commands$`: first the ones sent before it started, then those
   * `deliver`ed later. The record is the Subscribable itself, so no Observable or Subject per shard.
   */
  subscribe(observer: Partial<Observer<CommandRequest>>): Unsubscribable {
    for (const request of this.early.splice(0)) observer.next?.(request);
    this.sink = observer;
    return new CommandSubscription(this, observer);
  }

  /** Internal: the observer given to `subscribe` stops listening. */
  detach(observer: Partial<Observer<CommandRequest>>): void {
    if (this.sink === observer) this.sink = null;
  }

  /** Hands a command to the running shard; false when none is listening. */
  deliver(request: CommandRequest): boolean {
    if (this.sink === null) return false;
    this.sink.next?.(request);
    return true;
  }

  /** No more commands: the shard's command input completes. */
  endCommands(): void {
    this.sink?.complete?.();
    this.sink = null;
  }

  /** The shard's stream has ended (or it never started and never will). */
  finished(): void {
    this.ended = true;
    for (const resolve of this.waiters?.splice(0) ?? []) resolve();
  }

  /** Resolves when `finished` has been called. */
  done(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }
}

/** What `ShardRecord.subscribe` returns. */
class CommandSubscription implements Unsubscribable {
  constructor(
    private readonly record: ShardRecord,
    private readonly observer: Partial<Observer<CommandRequest>>,
  ) {}

  unsubscribe(): void {
    this.record.detach(this.observer);
  }
}

/** The record's session with the last sequence received, or null when it has none. */
export const currentSession = (record: ShardRecord): SessionSnapshot | null =>
  record.session === null ? null : { ...record.session, seq: record.seq ?? record.session.seq };

/** The public view of a record. */
export const toInfo = (record: ShardRecord): ShardInfo => ({
  shardId: record.shardId,
  status: record.status,
  lastCloseCode: record.lastCloseCode,
  latencyMs: record.latencyMs,
  seq: record.seq,
  events: record.events,
  fatal: record.fatal,
});
