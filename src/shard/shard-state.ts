import type { LiveSession, NextStep } from './session.js';

/** What a shard keeps across its connections. */
export interface ShardState {
  session: LiveSession | null;
  failedResumes: number;
  /** The last essential message this shard could not read since it was last READY (unreadable.ts), else null. */
  lastUnreadable: string | null;
  /** Connections in a row that ended before Hello (unreachable.ts); 0 once a Hello comes. */
  unreachableInARow: number;
  /** Decided when the last connection ended. */
  next: NextStep | null;
  stopRequest: { readonly keepSession: boolean } | null;
  /** The connection now open, if any: where the shard passes a stop request on. */
  live: { stop(request: { readonly keepSession: boolean }): void } | null;
}
