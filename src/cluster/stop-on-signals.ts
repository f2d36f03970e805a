import type { SessionSnapshot } from '../shard/types.js';
import type { SessionStore } from './session-store.js';
import { handleStopSignals, type SignalProcess } from './signal-stop.js';

/** What `stopOnSignals` stops: a `Cluster` (or anything whose `shutdown` returns the kept sessions). */
export interface Stoppable {
  shutdown(options?: { readonly keepSessions?: boolean }): Promise<SessionSnapshot[]>;
}

/** Options of `stopOnSignals`. */
export interface StopOnSignalsOptions {
  /** Close with 4000 and keep the sessions (default true); false closes with 1000 and forgets them. */
  readonly keepSessions?: boolean;
  /**
   * Where the kept sessions are saved (then `flush`ed) before the process exits, for the next
   * start to `load`. A cluster created with this same store has saved them already: saving again
   * is harmless. Default: none (the cluster's own store only).
   */
  readonly sessionStore?: SessionStore;
  /** Called with the kept sessions before the process exits, within the deadline (e.g. to write them elsewhere). */
  readonly onStopped?: (sessions: readonly SessionSnapshot[], signal: NodeJS.Signals) => void | Promise<void>;
  /** Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** The stop's deadline: past it the process exits anyway with code 124 (default 8000 ms). */
  readonly deadlineMs?: number;
  /** Lines about the stop (heard, second signal, deadline); default standard error, `false` for none. */
  readonly log?: ((line: string) => void) | false;
  /** Default: the real `process` (tests inject an emitter with an `exit`). */
  readonly process?: SignalProcess;
}

/**
 * Stops `cluster` gracefully on SIGTERM or SIGINT, as `shutdown({ keepSessions: true })` does:
 * every shard closes with 4000, the sessions go to `sessionStore` (and `onStopped`), then the
 * process exits 0. A second signal exits at once (130 / 143); a stop still running after
 * `deadlineMs` exits with 124. Returns a function removing the handlers; they never keep the
 * process alive.
 *
 * ```ts
 * stopOnSignals(cluster, { keepSessions: true, sessionStore });
 * ```
 */
export const stopOnSignals = (cluster: Stoppable, options: StopOnSignalsOptions = {}): (() => void) => {
  const keepSessions = options.keepSessions ?? true;
  return handleStopSignals({
    name: 'discluster cluster',
    keepsSessions: keepSessions,
    ...(options.signals ? { signals: options.signals } : {}),
    ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.process ? { process: options.process } : {}),
    stop: async (signal) => {
      const sessions = await cluster.shutdown({ keepSessions });
      const store = options.sessionStore;
      if (store && keepSessions) {
        for (const session of sessions) store.save(session);
        await store.flush?.();
      }
      await options.onStopped?.(sessions, signal);
    },
  });
};
