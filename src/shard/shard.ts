import { concat, defer, EMPTY, finalize, type Observable, of, Subject } from 'rxjs';
import { encodePayload } from '../gateway/encode.js';
import { DisclusterError } from '../gateway/errors.js';
import { repeatWithBackoff } from './backoff.js';
import { submitCommand } from './commands.js';
import { connection, type ShardState } from './connection.js';
import { createMemoryIdentifyQueue } from './identify-queue.js';
import { createCommandLimiter } from './limiter.js';
import { resolveShardOptions } from './options.js';
import { identifyPayload } from './payloads.js';
import type { ShardEvent, ShardOptions } from './types.js';

/**
 * One gateway shard as a cold Observable of its events. Subscribing connects; the shard then
 * identifies (through `identifyQueue`) or resumes `session`, keeps the connection alive, and
 * reconnects with backoff, resuming when it can. A fatal close code emits `fatal` and completes.
 * Unsubscribing closes the socket (1000, or 4000 with `keepSessionOnUnsubscribe`) and clears
 * every timer. Bad options error the Observable with an `INVALID_OPTIONS` `DisclusterError`.
 */
export const shard = (input: ShardOptions): Observable<ShardEvent> =>
  defer(() => {
    const resolved = resolveShardOptions(input);
    const options = resolved.identifyQueue ? resolved : { ...resolved, identifyQueue: createMemoryIdentifyQueue({ maxConcurrency: 1, scheduler: resolved.scheduler }) };
    const identify = encodePayload(identifyPayload(options));
    if (identify._tag === 'Left') throw new DisclusterError('INVALID_OPTIONS', `the identify payload is too large: ${identify.left.message}`);
    const { scheduler, shardId } = options;
    const initial = options.session;
    const state: ShardState = {
      session: initial ? { sessionId: initial.sessionId, resumeUrl: initial.resumeUrl, seq: initial.seq } : null,
      failedResumes: 0,
      next: null,
      stopRequest: null,
    };
    const limiter = createCommandLimiter({
      scheduler,
      maxQueued: options.maxQueuedCommands,
      ...(options.sendLimit ? { limit: options.sendLimit.count, windowMs: options.sendLimit.windowMs } : {}),
    });
    const stop$ = new Subject<{ readonly keepSession: boolean }>();
    const commands = options.commands$?.subscribe((request) => submitCommand(request, limiter));
    const stopping = options.stop$?.subscribe((request) => {
      state.stopRequest ??= request;
      stop$.next(request);
    });
    const retrying = () => state.stopRequest === null && (state.next?.type === 'resume' || state.next?.type === 'identify');
    const closedDuringDelay = defer(() =>
      state.stopRequest !== null && state.next?.type !== 'stop'
        ? of<ShardEvent>({ type: 'status', shardId, status: 'closed', reason: 'stopped' })
        : EMPTY,
    );
    return concat(
      connection(options, state, limiter, stop$).pipe(
        repeatWithBackoff(
          { initialMs: options.backoffInitialMs, maxMs: options.backoffMaxMs, random: options.random, scheduler },
          (event) => event.type === 'status' && (event.status === 'ready' || event.status === 'resumed'),
          retrying,
          stop$,
          () => {
            if (state.next?.type !== 'identify' || state.next.afterInvalidSession !== true) return 0;
            const { min, max } = options.invalidSessionWaitMs;
            return min + Math.floor(options.random() * (max - min));
          },
        ),
      ),
      closedDuringDelay,
    ).pipe(
      finalize(() => {
        commands?.unsubscribe();
        stopping?.unsubscribe();
        const why = state.next?.type === 'fatal' ? `it stopped on a fatal error: ${state.next.reason}` : 'it is closed';
        limiter.close(new DisclusterError('SHARD_UNAVAILABLE', `shard ${shardId} cannot send: ${why}`));
      }),
    );
  });
