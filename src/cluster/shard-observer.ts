import type { Observer } from 'rxjs';
import type { DispatchSink } from '../reshard/host.js';
import type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';
import type { ShardEvent } from '../shard/types.js';
import type { ShardRecord } from './shard-record.js';

/** What the cluster does with a shard's events other than dispatches, and with its end. */
export interface ShardEventHandler {
  lifecycle(record: ShardRecord, event: ShardLifecycleEvent): void;
  /** The shard's stream completed. */
  completed(record: ShardRecord): void;
}

/**
 * The cluster's subscriber to one shard: dispatches go straight to `dispatch$` (counted on the
 * record), everything else to the handler. An object rather than three closures per shard.
 */
export class ShardObserver implements Observer<ShardEvent> {
  constructor(
    private readonly record: ShardRecord,
    private readonly dispatch$: DispatchSink,
    private readonly handler: ShardEventHandler,
  ) {}

  next(event: ShardEvent): void {
    if (event.type !== 'dispatch') return this.handler.lifecycle(this.record, event);
    const { record } = this;
    record.events++;
    record.seq = event.s;
    record.dirty = true;
    this.dispatch$.next(event);
  }

  /** The shard's stream failed (a bug, not a gateway error): reported as a fatal of kind `internal`. */
  error(error: unknown): void {
    const { record } = this;
    record.live = false;
    this.handler.lifecycle(record, { type: 'fatal', shardId: record.shardId, code: null, reason: String((error as Error)?.message ?? error), kind: 'internal' });
    record.finished();
  }

  complete(): void {
    this.record.live = false;
    this.handler.completed(this.record);
    this.record.finished();
  }
}
