import { filter, map, merge, type Observable } from 'rxjs';
import type { Cluster, ClusterLifecycleEvent } from '../cluster/cluster.js';
import type { ShardLayout } from '../reshard/layout.js';
import type { ReshardReport } from '../reshard/reshard-events.js';
import { shardTroubleMessage } from './shard-trouble.js';
import type { ToControlMessage } from './to-control.js';

/** A layout as the protocol carries it (a fresh array: the cluster's may be frozen or shared). */
const wireLayout = (layout: ShardLayout) => ({ totalShards: layout.totalShards, shardIds: [...layout.shardIds] });

/** A reshard's `lifecycle$` events as `reshard-progress` and `reshard-status` messages; null for any other event. */
export const reshardMessage = (event: ClusterLifecycleEvent): ToControlMessage | null => {
  if (event.type === 'reshard') {
    const reason = event.reason === undefined ? {} : { reason: event.reason.slice(0, 4096) };
    const held = event.peakHeld === undefined ? {} : { peakHeld: event.peakHeld };
    const ready = event.ready === undefined || event.total === undefined ? {} : { ready: event.ready, total: event.total };
    return { type: 'reshard-progress', phase: event.phase, from: wireLayout(event.from), to: wireLayout(event.to), ...reason, ...held, ...ready };
  }
  if (event.type === 'reshard-ledger') {
    const reason = event.reason === undefined ? {} : { reason: event.reason.slice(0, 4096) };
    return { type: 'reshard-ledger', state: event.state, fallbacks: event.fallbacks, ...reason };
  }
  if (event.type === 'reshard-status') {
    const code = event.code === undefined ? {} : { code: event.code };
    return { type: 'reshard-status', shardId: event.shardId, totalShards: event.totalShards, status: event.status, ...code };
  }
  return null;
};

/** The `resharded` reply to the `reshard` of `nonce`. */
export const reshardedMessage = (nonce: number, report: ReshardReport): ToControlMessage => ({
  type: 'resharded',
  nonce,
  from: wireLayout(report.from),
  to: wireLayout(report.to),
  identifies: report.identifies,
  elapsedMs: report.elapsedMs,
  handoffMs: report.handoffMs,
  duplicatesSuppressed: report.duplicatesSuppressed,
  recoveredFromNewSet: report.recoveredFromNewSet,
  ...(report.ledger === undefined ? {} : { ledger: { ...report.ledger } }),
});

/**
 * The cluster's streams as protocol messages: `shard-status`, `fatal`, a reshard's
 * `reshard-progress` and `reshard-status`, a shard's `message-dropped` and `identify-loop`, and `dispatch` for the names in `forward` (none when
 * empty). `ready` is not here: it comes from `connect()`.
 */
export const clusterMessages = (cluster: Cluster, forward: readonly string[]): Observable<ToControlMessage> => {
  const forwarded = new Set(forward);
  const status$ = cluster.status$.pipe(
    map((e): ToControlMessage => ({ type: 'shard-status', shardId: e.shardId, status: e.status, ...(e.code === undefined ? {} : { code: e.code }) })),
  );
  const fatal$ = cluster.fatal$.pipe(
    map((e): ToControlMessage => ({ type: 'fatal', shardId: e.shardId, code: e.code, reason: e.reason.slice(0, 4096), kind: e.kind })),
  );
  const reshard$ = cluster.lifecycle$.pipe(
    map((event) => reshardMessage(event) ?? shardTroubleMessage(event)),
    filter((m): m is ToControlMessage => m !== null),
  );
  const dispatch$ = cluster.dispatch$.pipe(
    filter((e) => forwarded.has(e.t)),
    map((e): ToControlMessage => ({ type: 'dispatch', shardId: e.shardId, t: e.t, s: e.s, d: e.d })),
  );
  return forwarded.size === 0 ? merge(status$, fatal$, reshard$) : merge(status$, fatal$, reshard$, dispatch$);
};

/** Replaces every occurrence of `secret` in the message's strings; a message without it is returned as is. */
export const scrub = <T>(message: T, secret: string | null): T => {
  if (secret === null || secret === '') return message;
  const text = JSON.stringify(message);
  const escaped = JSON.stringify(secret).slice(1, -1);
  if (!text.includes(escaped)) return message;
  return JSON.parse(text.split(escaped).join('[redacted]')) as T;
};
