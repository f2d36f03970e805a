import { NEVER, Observable, type Observer, type Subscriber, type Subscription, type Unsubscribable } from 'rxjs';
import { encodePayload } from '../gateway/encode.js';
import { DisclusterError } from '../gateway/errors.js';
import { repeatWithBackoff } from './backoff.js';
import { submitCommand } from './commands.js';
import { connection } from './connection.js';
import { IdentifyLoopWatch } from './identify-loop-watch.js';
import { createMemoryIdentifyQueue } from './identify-queue.js';
import { type CommandLimiter, createCommandLimiter } from './limiter.js';
import { type ResolvedShardOptions, resolveShardOptions } from './options.js';
import { identifyPayload } from './payloads.js';
import type { ShardState } from './shard-state.js';
import type { CommandRequest, ShardEvent, ShardOptions } from './types.js';

/**
 * One gateway shard as a cold Observable of its events. Subscribing connects; the shard then
 * identifies (through `identifyQueue`) or resumes `session`, keeps the connection alive, and
 * reconnects with backoff, resuming when it can. A fatal close code emits `fatal` and completes.
 * Unsubscribing closes the socket (1000, or 4000 with `keepSessionOnUnsubscribe`) and clears
 * every timer. Bad options error the Observable with an `INVALID_OPTIONS` `DisclusterError`.
 */
export const shard = (input: ShardOptions): Observable<ShardEvent> =>
  new Observable<ShardEvent>((subscriber) => new ShardRun(input, subscriber).start());

/**
 * One subscription of `shard`: its connections, one after another through `repeatWithBackoff`,
 * plus what outlives them (the session state, the command limiter). A class rather than an
 * operator chain, so that each of a thousand idle shards costs little more than its socket.
 */
class ShardRun implements Observer<ShardEvent>, Unsubscribable {
  private readonly options: ResolvedShardOptions;
  private readonly state: ShardState;
  private readonly limiter: CommandLimiter;
  private readonly commands: Unsubscribable | undefined;
  private readonly stopping: Unsubscribable | undefined;
  private loop: Subscription | null = null;
  private finished = false;
  private readonly identifyLoop: IdentifyLoopWatch;

  constructor(
    input: ShardOptions,
    private readonly subscriber: Subscriber<ShardEvent>,
  ) {
    const resolved = resolveShardOptions(input);
    const options = resolved.identifyQueue ? resolved : { ...resolved, identifyQueue: createMemoryIdentifyQueue({ maxConcurrency: 1, scheduler: resolved.scheduler }) };
    const identify = encodePayload(identifyPayload(options));
    if (identify._tag === 'Left') throw new DisclusterError('INVALID_OPTIONS', `the identify payload is too large: ${identify.left.message}`);
    this.options = options;
    const initial = options.session;
    const state: ShardState = {
      session: initial ? { sessionId: initial.sessionId, resumeUrl: initial.resumeUrl, seq: initial.seq } : null,
      failedResumes: 0,
      lastUnreadable: null,
      unreachableInARow: 0,
      next: null,
      stopRequest: null,
      live: null,
    };
    this.state = state;
    this.identifyLoop = new IdentifyLoopWatch(options, state, subscriber);
    this.limiter = createCommandLimiter({
      scheduler: options.scheduler,
      maxQueued: options.maxQueuedCommands,
      ...(options.sendLimit ? { limit: options.sendLimit.count, windowMs: options.sendLimit.windowMs } : {}),
    });
    const { limiter } = this;
    this.commands = options.commands$?.subscribe(new CommandIntake(limiter));
    // subscribed before any reconnect delay listens to stop$, so the request is on record first
    this.stopping = options.stop$?.subscribe(new StopListener(state));
  }

  /** Subscribes the first connection; returns itself as the teardown. */
  start(): this {
    const { options, state } = this;
    const stop$ = options.stop$ ?? NEVER;
    const subscription = connection(options, state, this.limiter)
      .pipe(
        repeatWithBackoff(
          { initialMs: options.backoffInitialMs, maxMs: options.backoffMaxMs, random: options.random, scheduler: options.scheduler },
          isConnected,
          () => state.stopRequest === null && (state.next?.type === 'resume' || state.next?.type === 'identify'),
          stop$,
          () => Math.max(waitAfterInvalidSession(options, state), this.identifyLoop.waitBeforeNext()),
        ),
      )
      .subscribe(this);
    if (!this.finished) this.loop = subscription;
    return this;
  }

  next(event: ShardEvent): void {
    if (event.type === 'status') this.identifyLoop.status(event.status);
    this.subscriber.next(event);
  }

  error(error: unknown): void {
    this.subscriber.error(error);
  }

  complete(): void {
    // stopped while waiting to reconnect: no connection was there to report it
    if (this.state.stopRequest !== null && this.state.next?.type !== 'stop') {
      this.subscriber.next({ type: 'status', shardId: this.options.shardId, status: 'closed', reason: 'stopped' });
    }
    this.subscriber.complete();
  }

  /** Ends the connection (if any) and refuses the commands still waiting. */
  unsubscribe(): void {
    if (this.finished) return;
    this.finished = true;
    this.loop?.unsubscribe();
    this.commands?.unsubscribe();
    this.stopping?.unsubscribe();
    const { next } = this.state;
    const why = next?.type === 'fatal' ? `it stopped on a fatal error: ${next.reason}` : 'it is closed';
    this.limiter.close(new DisclusterError('SHARD_UNAVAILABLE', `shard ${this.options.shardId} cannot send: ${why}`));
  }
}

/** Records a stop request and passes it to the live connection (an object, not a closure per shard). */
class StopListener implements Observer<{ readonly keepSession: boolean }> {
  constructor(private readonly state: ShardState) {}

  next(request: { readonly keepSession: boolean }): void {
    this.state.stopRequest ??= request;
    this.state.live?.stop(request);
  }

  error(): void {}

  complete(): void {}
}

/** Takes the user's commands into the limiter (an object, not a closure per shard). */
class CommandIntake implements Observer<CommandRequest> {
  constructor(private readonly limiter: CommandLimiter) {}

  next(request: CommandRequest): void {
    submitCommand(request, this.limiter);
  }

  error(): void {}

  complete(): void {}
}

/** A connection succeeded once it is READY or RESUMED: the backoff starts over. */
const isConnected = (event: ShardEvent): boolean => event.type === 'status' && (event.status === 'ready' || event.status === 'resumed');

/** After op 9 `false`, Discord asks for a random wait before identifying again. */
const waitAfterInvalidSession = (options: ResolvedShardOptions, state: ShardState): number => {
  if (state.next?.type !== 'identify' || state.next.afterInvalidSession !== true) return 0;
  const { min, max } = options.invalidSessionWaitMs;
  return min + Math.floor(options.random() * (max - min));
};
