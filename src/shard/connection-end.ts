import { describeEnd } from './connection-report.js';
import { endedUnreachable, unreachableEvent } from './unreachable.js';
import type { ConnectionEnd, NextStep } from './session.js';
import type { ShardState } from './shard-state.js';
import type { ShardEvent, ShardStatus } from './types.js';

/** Where a connection's events go (its subscriber). */
export interface ConnectionEvents {
  next(event: ShardEvent): void;
}

/**
 * What a connection reports once its end and the shard's next step are known: `reconnecting`
 * (the session dropped first, with `session-lost`, when the shard must identify anew), or a
 * `fatal` event then `closed`, or `closed` (the session dropped unless a stop asked to keep it).
 * Every status carries the end's close code and reason. Drops the session from `state`. A retried
 * end `beforeHello` (the gateway unreachable) is reported first, as `unreachable` (unreachable.ts).
 */
export const reportEnd = (why: ConnectionEnd, step: NextStep, state: ShardState, shardId: number, events: ConnectionEvents, beforeHello: boolean): void => {
  const detail = describeEnd(why);
  const retried = step.type === 'resume' || step.type === 'identify';
  if (retried && endedUnreachable(why, !beforeHello)) events.next(unreachableEvent(shardId, ++state.unreachableInARow, why));
  const status = (value: ShardStatus): void => events.next({ type: 'status', shardId, status: value, ...detail });
  const dropSession = (lost: string | null): void => {
    const { session } = state;
    if (session === null) return;
    state.session = null;
    state.failedResumes = 0;
    if (lost !== null) events.next({ type: 'session-lost', shardId, sessionId: session.sessionId, lastSeq: session.seq, reason: lost });
    events.next({ type: 'session', shardId, session: null });
  };
  switch (step.type) {
    case 'resume':
      status('reconnecting');
      break;
    case 'identify':
      dropSession(step.lost);
      status('reconnecting');
      break;
    case 'fatal':
      dropSession(null);
      events.next({ type: 'fatal', shardId, code: step.code, reason: step.reason, kind: step.kind });
      status('closed');
      break;
    case 'stop':
      if (why.type === 'stopped' && !why.keepSession) dropSession(null);
      status('closed');
      break;
  }
};

/** A connection as the hello and ready timeouts see it. */
export interface EndableConnection {
  end(why: ConnectionEnd): void;
}

/** How a connection ends when Hello does not come in time. */
export const HELLO_TIMEOUT: ConnectionEnd = { type: 'hello-timeout' };
/** How a connection ends when READY (or RESUMED) does not come in time after identify (or resume). */
export const READY_TIMEOUT: ConnectionEnd = { type: 'ready-timeout' };

/** Scheduled work of the hello and ready timeouts; a plain function, so a timeout costs no closure. */
export function timedOut(this: unknown, target?: { readonly connection: EndableConnection; readonly why: ConnectionEnd }): void {
  target?.connection.end(target.why);
}
