import { type SchedulerLike, Subscription, timer } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { shard } from '../shard/shard.js';
import type { CommandRequest, IdentifyQueue, SessionSnapshot, ShardCommand, ShardDispatchEvent, ShardOptions } from '../shard/types.js';
import type { DispatchSink, ReshardSet } from '../reshard/host.js';
import type { ShardLayout } from '../reshard/layout.js';
import type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';
import { currentSession, type ShardInfo, ShardRecord, toInfo } from './shard-record.js';
import { ShardObserver, type ShardEventHandler } from './shard-observer.js';
import { StopSignal } from './stop-signal.js';
import { identifyWaves, startInWaves, type WaveStarter } from './waves.js';

/** What a shard set needs from its cluster. */
export interface ShardSetContext {
  /** The options of one shard of this set, without `commands$`. */
  shardOptions(shardId: number, session: SessionSnapshot | null, stop$: StopSignal<{ readonly keepSession: boolean }>, identifyQueue: IdentifyQueue): ShardOptions;
  readonly identifyQueue: IdentifyQueue;
  readonly maxConcurrency: number;
  readonly scheduler: SchedulerLike;
  /** A wave starts the next after this at the latest. */
  readonly waveTimeoutMs: number;
}

/** Hears a set's events other than dispatches, after the set has booked them on the record. */
export interface ShardSetListener {
  lifecycle(set: ShardSet, record: ShardRecord, event: ShardLifecycleEvent): void;
}

/**
 * One layout's shards and their records: starts them (resumes at once, identifies in waves),
 * books their statuses, and stops them. A cluster runs one set; a reshard prepares a second one
 * beside it. Dispatches go to `output`, which the cluster can redirect (a handover) at any time.
 */
export class ShardSet implements ShardEventHandler, DispatchSink, ReshardSet {
  readonly records: ReadonlyMap<number, ShardRecord>;
  readonly stop$ = new StopSignal<{ readonly keepSession: boolean }>();
  /** Where dispatches go. */
  output: DispatchSink;
  listener: ShardSetListener;
  /** Shards that have been READY (or resumed) once, or went fatal. */
  settledCount = 0;
  private readonly running = new Subscription();
  private waves: WaveStarter | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    readonly layout: ShardLayout,
    private readonly context: ShardSetContext,
    output: DispatchSink,
    listener: ShardSetListener,
  ) {
    this.records = new Map(layout.shardIds.map((id) => [id, new ShardRecord(id)]));
    this.output = output;
    this.listener = listener;
  }

  /** Starts every shard: those with a session of this layout resume at once, the others identify in waves. */
  start(sessions: ReadonlyMap<number, SessionSnapshot>): void {
    const identifying: number[] = [];
    for (const record of this.records.values()) {
      const found = sessions.get(record.shardId);
      const session = found && found.totalShards === this.layout.totalShards ? found : undefined;
      record.live = true;
      if (session === undefined) identifying.push(record.shardId);
      else {
        record.seq = session.seq;
        this.startShard(record, session); // resumes do not wait on the identify queue
      }
    }
    const { maxConcurrency, scheduler, waveTimeoutMs } = this.context;
    this.waves = startInWaves(identifyWaves(identifying, maxConcurrency), (id) => this.startShard(this.records.get(id)!, null), scheduler, waveTimeoutMs);
  }

  /** A dispatch of one of this set's shards. */
  next(event: ShardDispatchEvent): void {
    this.output.next(event);
  }

  /** Books a shard's event on its record, then tells the listener. */
  lifecycle(record: ShardRecord, event: ShardLifecycleEvent): void {
    switch (event.type) {
      case 'status':
        record.status = event.status;
        if (event.code !== undefined) record.lastCloseCode = event.code;
        if (event.status === 'ready' || event.status === 'resumed') {
          if (!record.readyOnce && record.fatal === null) this.settledCount++;
          record.readyOnce = true;
          this.waves?.settled(record.shardId);
        }
        break;
      case 'heartbeat':
        record.latencyMs = event.latencyMs;
        break;
      case 'session':
        record.session = event.session;
        record.dirty = false;
        break;
      case 'fatal':
        if (!record.readyOnce && record.fatal === null) this.settledCount++;
        record.fatal = event;
        this.waves?.settled(record.shardId);
        break;
    }
    this.listener.lifecycle(this, record, event);
  }

  completed(record: ShardRecord): void {
    this.waves?.settled(record.shardId);
  }

  statuses(): ShardInfo[] {
    return [...this.records.values()].map(toInfo);
  }

  sessions(): SessionSnapshot[] {
    return [...this.records.values()].flatMap((r) => currentSession(r) ?? []);
  }

  /** Sessions whose sequence moved since they were last taken, marked clean. */
  takeDirtySessions(): SessionSnapshot[] {
    const out: SessionSnapshot[] = [];
    for (const record of this.records.values()) {
      const session = record.dirty ? currentSession(record) : null;
      if (session === null) continue;
      record.dirty = false;
      out.push(session);
    }
    return out;
  }

  /** Sends a command through a shard of this set (kept until it starts, if it has not yet). */
  send(shardId: number, command: ShardCommand): Promise<void> {
    const record = this.records.get(shardId);
    if (record === undefined) return Promise.reject(new DisclusterError('SHARD_UNAVAILABLE', `shard ${shardId} is not in this cluster`));
    if (this.stopping !== null || (record.started && !record.live)) {
      return Promise.reject(new DisclusterError('SHARD_UNAVAILABLE', `shard ${shardId} is not running (${record.fatal ? 'fatal' : record.status})`));
    }
    return new Promise<void>((resolve, reject) => {
      const request: CommandRequest = { command, settle: (result) => (result.ok ? resolve() : reject(result.error)) };
      if (record.started) {
        if (!record.deliver(request)) reject(new DisclusterError('SHARD_UNAVAILABLE', `shard ${shardId} is not running (${record.status})`));
        return;
      }
      // not connected yet (or waiting for its wave): keep the command for it, bounded like its queue
      if (record.early.length >= 1000) reject(new DisclusterError('COMMAND_REJECTED', `shard ${shardId} already has 1000 commands waiting to be sent`));
      else record.early.push(request);
    });
  }

  /**
   * Closes every shard (4000 with `keepSession`, else 1000) and waits for their streams to end,
   * `timeoutMs` at most, then cuts what is left. Shards still waiting for their wave never start.
   */
  stop(keepSession: boolean, timeoutMs: number): Promise<void> {
    this.stopping ??= (async () => {
      this.waves?.stop();
      for (const record of this.records.values()) {
        if (record.started) continue;
        record.live = false;
        record.finished();
        for (const request of record.early.splice(0)) {
          request.settle?.({ ok: false, error: new DisclusterError('SHARD_UNAVAILABLE', `shard ${record.shardId} was stopped before it connected`) });
        }
      }
      this.stop$.emit({ keepSession });
      const live = [...this.records.values()].filter((r) => r.live).map((r) => r.done());
      const cut = new Subscription();
      await Promise.race([Promise.all(live), new Promise((resolve) => cut.add(timer(timeoutMs, this.context.scheduler).subscribe(resolve)))]);
      cut.unsubscribe();
      this.running.unsubscribe();
      for (const record of this.records.values()) record.endCommands();
    })();
    return this.stopping;
  }

  private startShard(record: ShardRecord, session: SessionSnapshot | null): void {
    record.started = true;
    const options = this.context.shardOptions(record.shardId, session, this.stop$, this.context.identifyQueue);
    this.running.add(shard({ ...options, commands$: record }).subscribe(new ShardObserver(record, this, this)));
  }
}
