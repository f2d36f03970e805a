import { interval, type Observable, ReplaySubject, Subject, Subscription, timer } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { resolveShardOptions } from '../shard/options.js';
import { shard } from '../shard/shard.js';
import type { CommandRequest, SessionSnapshot, ShardCommand, ShardDispatchEvent, ShardEvent, ShardFatalEvent, ShardStatusEvent } from '../shard/types.js';
import { createMemoryIdentifyQueue, defaultIdentifyMargin } from '../shard/identify-queue.js';
import { checkClusterOptions, type ClusterOptions } from './options.js';
import { createMemorySessionStore } from './session-store.js';
import { currentSession, type ShardInfo, ShardRecord, toInfo } from './shard-record.js';
import { ShardObserver, type ShardEventHandler } from './shard-observer.js';
import { StopSignal } from './stop-signal.js';
import { identifyWaves, startInWaves, type WaveStarter } from './waves.js';

/** `ready$`'s value: the shards that reached READY (or RESUMED) and the ones that went fatal. */
export interface ClusterReady {
  readonly shardIds: readonly number[];
  readonly failed: readonly number[];
  readonly elapsedMs: number;
}

/** Events other than dispatches: status, heartbeat, session, session-lost and fatal. */
export type ClusterLifecycleEvent = Exclude<ShardEvent, ShardDispatchEvent>;

/** A running group of shards: the object bot code and the CONTROL bridge use. */
export interface Cluster {
  /** Every dispatch of every shard (hot: a late subscriber sees what comes after). */
  readonly dispatch$: Observable<ShardDispatchEvent>;
  /** Fatal errors: a shard stopped and needs a person or CONTROL. */
  readonly fatal$: Observable<ShardFatalEvent>;
  /** Once, when every shard has been READY or resumed once (or went fatal); replayed to late subscribers. */
  readonly ready$: Observable<ClusterReady>;
  /** Status changes of every shard. */
  readonly status$: Observable<ShardStatusEvent>;
  /** Every event that is not a dispatch. */
  readonly lifecycle$: Observable<ClusterLifecycleEvent>;
  /** A snapshot of every shard: status, latency, last sequence, events counted. */
  statuses(): ShardInfo[];
  /** The live sessions, as snapshots. */
  sessions(): SessionSnapshot[];
  /** Connects every shard; resolves on `ready$`, rejects if every shard went fatal. */
  connect(): Promise<ClusterReady>;
  /** Sends a gateway command through a shard's rate limiter; resolves once written (a shard not yet connected keeps it until READY). */
  send(shardId: number, command: ShardCommand): Promise<void>;
  /** Closes every shard (4000 and snapshots returned with `keepSessions`, else 1000). */
  shutdown(options?: { readonly keepSessions?: boolean }): Promise<SessionSnapshot[]>;
}

/** Creates a cluster. Options are checked at once (`INVALID_OPTIONS`); nothing connects until `connect()`. */
export const createCluster = (options: ClusterOptions): Cluster => {
  const { scheduler, flushMs, shutdownMs } = checkClusterOptions(options);
  const shardIds = [...options.shardIds].sort((a, b) => a - b);
  const identifyQueue =
    options.identifyQueue ??
    createMemoryIdentifyQueue({
      maxConcurrency: options.gateway.maxConcurrency,
      windowMs: options.timing?.identifyWindowMs ?? 5_000,
      ...(options.timing?.identifyMarginMs !== undefined ? { safetyMarginMs: options.timing.identifyMarginMs } : {}),
      ...(options.gateway.sessionStartLimit ? { sessionStartLimit: options.gateway.sessionStartLimit } : {}),
      scheduler,
    });
  const store = options.sessionStore ?? createMemorySessionStore();
  const stop$ = new StopSignal<{ readonly keepSession: boolean }>();
  const dispatch$ = new Subject<ShardDispatchEvent>();
  const fatal$ = new Subject<ShardFatalEvent>();
  const status$ = new Subject<ShardStatusEvent>();
  const lifecycle$ = new Subject<ClusterLifecycleEvent>();
  const ready$ = new ReplaySubject<ClusterReady>(1);
  const records = new Map<number, ShardRecord>(shardIds.map((id) => [id, new ShardRecord(id)]));
  const running = new Subscription();
  const shardOptions = (shardId: number, session: SessionSnapshot | undefined) => ({
    token: options.token,
    intents: options.intents,
    shardId,
    totalShards: options.totalShards,
    url: options.gateway.url,
    identifyQueue,
    session: session ?? null,
    stop$,
    scheduler,
    ...pick(options, ['compression', 'presence', 'largeThreshold', 'events', 'maxMessageBytes', 'random', 'tls']),
    ...(options.timing ? { timing: options.timing } : {}),
  });
  for (const id of shardIds) resolveShardOptions(shardOptions(id, undefined));

  let startedAt = 0;
  let connecting: Promise<ClusterReady> | null = null;
  let settle: { resolve(ready: ClusterReady): void; reject(error: Error): void } | null = null;
  let readyFired = false;
  let shutDown: Promise<SessionSnapshot[]> | null = null;
  let waves: WaveStarter | null = null;
  const windowMs = options.timing?.identifyWindowMs ?? 5_000;

  /** Shards that have been READY once or went fatal, counted as it happens (not by scanning every record per event). */
  let settledCount = 0;
  const settleOnce = (record: ShardRecord) => {
    if (!record.readyOnce && record.fatal === null) settledCount++;
  };

  const checkReady = () => {
    if (readyFired || settledCount < records.size) return;
    const all = [...records.values()];
    readyFired = true;
    const ready: ClusterReady = {
      shardIds: all.filter((r) => r.readyOnce).map((r) => r.shardId),
      failed: all.filter((r) => !r.readyOnce).map((r) => r.shardId),
      elapsedMs: scheduler.now() - startedAt,
    };
    if (ready.shardIds.length === 0) {
      settle?.reject(new DisclusterError('CLUSTER_FATAL', `every shard went fatal: ${all.map((r) => `${r.shardId}: ${r.fatal?.reason}`).join('; ')}`));
      return;
    }
    ready$.next(ready);
    ready$.complete();
    settle?.resolve(ready);
  };

  const onLifecycle = (record: ShardRecord, event: ClusterLifecycleEvent) => {
    switch (event.type) {
      case 'status':
        record.status = event.status;
        if (event.code !== undefined) record.lastCloseCode = event.code;
        if (event.status === 'ready' || event.status === 'resumed') {
          settleOnce(record);
          record.readyOnce = true;
          waves?.settled(record.shardId);
        }
        status$.next(event);
        break;
      case 'heartbeat':
        record.latencyMs = event.latencyMs;
        break;
      case 'session':
        record.session = event.session;
        record.dirty = false;
        if (event.session === null) store.delete(record.shardId);
        else store.save(event.session);
        break;
      case 'fatal':
        settleOnce(record);
        record.fatal = event;
        waves?.settled(record.shardId);
        fatal$.next(event);
        break;
    }
    lifecycle$.next(event);
    if (event.type === 'status' || event.type === 'fatal') checkReady();
  };

  const handler: ShardEventHandler = {
    lifecycle: onLifecycle,
    completed: (record) => waves?.settled(record.shardId),
  };

  const start = (record: ShardRecord, session: SessionSnapshot | undefined) => {
    record.started = true;
    running.add(shard({ ...shardOptions(record.shardId, session), commands$: record }).subscribe(new ShardObserver(record, dispatch$, handler)));
  };

  const flushSessions = () => {
    for (const record of records.values()) {
      const session = record.dirty ? currentSession(record) : null;
      if (session === null) continue;
      record.dirty = false;
      store.save(session);
    }
  };

  const sessions = (): SessionSnapshot[] => [...records.values()].flatMap((r) => currentSession(r) ?? []);

  return {
    dispatch$: dispatch$.asObservable(),
    fatal$: fatal$.asObservable(),
    ready$: ready$.asObservable(),
    status$: status$.asObservable(),
    lifecycle$: lifecycle$.asObservable(),
    statuses: () => [...records.values()].map(toInfo),
    sessions,
    connect() {
      if (shutDown !== null) return Promise.reject(new DisclusterError('CLUSTER_SHUT_DOWN', 'the cluster was shut down'));
      connecting ??= (async () => {
        const stored = await store.load(shardIds);
        const given = new Map((options.sessions ?? []).map((s) => [s.shardId, s] as const));
        const result = new Promise<ClusterReady>((resolve, reject) => (settle = { resolve, reject }));
        startedAt = scheduler.now();
        running.add(interval(flushMs, scheduler).subscribe(flushSessions));
        const identifying: number[] = [];
        for (const record of records.values()) {
          const found = given.get(record.shardId) ?? stored.get(record.shardId);
          const session = found && found.totalShards === options.totalShards ? found : undefined;
          record.live = true;
          if (session === undefined) identifying.push(record.shardId);
          else {
            record.seq = session.seq;
            start(record, session); // resumes do not wait on the identify queue
          }
        }
        const margin = options.timing?.identifyMarginMs ?? defaultIdentifyMargin(windowMs);
        waves = startInWaves(identifyWaves(identifying, options.gateway.maxConcurrency), (id) => start(records.get(id)!, undefined), scheduler, 2 * (windowMs + margin));
        running.add(() => waves?.stop());
        return result;
      })();
      return connecting;
    },
    send(shardId, command) {
      const record = records.get(shardId);
      if (record === undefined) return Promise.reject(new DisclusterError('SHARD_UNAVAILABLE', `shard ${shardId} is not in this cluster`));
      if (shutDown !== null || (record.started && !record.live)) {
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
    },
    shutdown({ keepSessions = false } = {}) {
      shutDown ??= (async () => {
        waves?.stop();
        for (const record of records.values()) {
          if (record.started) continue;
          record.live = false;
          record.finished();
          for (const request of record.early.splice(0)) request.settle?.({ ok: false, error: new DisclusterError('SHARD_UNAVAILABLE', `shard ${record.shardId} was shut down before it connected`) });
        }
        stop$.emit({ keepSession: keepSessions });
        const live = [...records.values()].filter((r) => r.live).map((r) => r.done());
        await Promise.race([Promise.all(live), new Promise((resolve) => running.add(timer(shutdownMs, scheduler).subscribe(resolve)))]);
        const kept = keepSessions ? sessions() : [];
        running.unsubscribe();
        for (const record of records.values()) {
          record.endCommands();
          if (!keepSessions) store.delete(record.shardId);
        }
        for (const session of kept) store.save(session);
        await store.flush?.();
        settle?.reject(new DisclusterError('CLUSTER_SHUT_DOWN', 'the cluster was shut down before it was ready'));
        for (const subject of [dispatch$, fatal$, status$, lifecycle$, ready$]) subject.complete();
        return kept;
      })();
      return shutDown;
    },
  };
};

const pick = <T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> => {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
};
