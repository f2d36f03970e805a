import type { Subscriber } from 'rxjs';
import { beforeIdentify, connectionEnded, identifyStarted, initialLoopState, type IdentifyLoopState, readyReached } from './identify-loop-guard.js';
import type { ResolvedShardOptions } from './options.js';
import type { ShardState } from './shard-state.js';
import type { ShardEvent, ShardStatus } from './types.js';

/**
 * The identify loop guard (identify-loop-guard.ts) kept for one shard: it hears the shard's
 * statuses (`identifying` starts an identify, `ready` and `resumed` begin a ready stretch,
 * `reconnecting` and `closed` end it) and, when the shard is about
 * to identify again, says how long to wait, reporting a pause as an `identify-loop` event.
 */
export class IdentifyLoopWatch {
  private state: IdentifyLoopState = initialLoopState;

  constructor(
    private readonly options: ResolvedShardOptions,
    private readonly shard: ShardState,
    private readonly subscriber: Subscriber<ShardEvent>,
  ) {}

  /** A status of the shard, as it emits it. */
  status(status: ShardStatus): void {
    if (status === 'identifying') this.state = identifyStarted(this.state, this.options.scheduler.now(), this.options.identifyLoop);
    else if (status === 'ready' || status === 'resumed') this.state = readyReached(this.state, this.options.scheduler.now());
    else if (status === 'reconnecting' || status === 'closed') this.state = connectionEnded(this.state, this.options.scheduler.now(), this.options.identifyLoop);
  }

  /** A connection ended: the least wait before the next one (0 unless it identifies in a loop). */
  waitBeforeNext(): number {
    if (this.shard.next?.type !== 'identify' || this.shard.stopRequest !== null) return 0;
    const verdict = beforeIdentify(this.state, this.options.scheduler.now(), this.options.identifyLoop);
    this.state = verdict.state;
    if (verdict.loop !== null) {
      this.subscriber.next({ type: 'identify-loop', shardId: this.options.shardId, identifies: verdict.loop.identifies, windowMs: verdict.loop.windowMs, waitMs: verdict.waitMs });
    }
    return verdict.waitMs;
  }
}
