import { filter, map, merge, type Observable } from 'rxjs';
import type { Cluster } from '../cluster/cluster.js';
import type { ToControlMessage } from './to-control.js';

/**
 * The cluster's streams as protocol messages: `shard-status`, `fatal`, and `dispatch` for the
 * names in `forward` (none when empty). `ready` is not here: it comes from `connect()`.
 */
export const clusterMessages = (cluster: Cluster, forward: readonly string[]): Observable<ToControlMessage> => {
  const forwarded = new Set(forward);
  const status$ = cluster.status$.pipe(
    map((e): ToControlMessage => ({ type: 'shard-status', shardId: e.shardId, status: e.status, ...(e.code === undefined ? {} : { code: e.code }) })),
  );
  const fatal$ = cluster.fatal$.pipe(
    map((e): ToControlMessage => ({ type: 'fatal', shardId: e.shardId, code: e.code, reason: e.reason.slice(0, 4096), kind: e.kind })),
  );
  const dispatch$ = cluster.dispatch$.pipe(
    filter((e) => forwarded.has(e.t)),
    map((e): ToControlMessage => ({ type: 'dispatch', shardId: e.shardId, t: e.t, s: e.s, d: e.d })),
  );
  return forwarded.size === 0 ? merge(status$, fatal$) : merge(status$, fatal$, dispatch$);
};

/** Replaces every occurrence of `secret` in the message's strings; a message without it is returned as is. */
export const scrub = <T>(message: T, secret: string | null): T => {
  if (secret === null || secret === '') return message;
  const text = JSON.stringify(message);
  const escaped = JSON.stringify(secret).slice(1, -1);
  if (!text.includes(escaped)) return message;
  return JSON.parse(text.split(escaped).join('[redacted]')) as T;
};
