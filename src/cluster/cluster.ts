import { interval, type Observable, ReplaySubject, Subject, Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { resolveShardOptions } from '../shard/options.js';
import type { IdentifyQueue, SessionSnapshot, ShardCommand, ShardDispatchEvent, ShardFatalEvent, ShardOptions, ShardStatusEvent } from '../shard/types.js';
import { createMemoryIdentifyQueue, defaultIdentifyMargin } from '../shard/identify-queue.js';
import { checkClusterOptions, type ClusterOptions } from './options.js';
import { createMemorySessionStore } from './session-store.js';
import type { ShardInfo } from './shard-record.js';
import { ShardSet, type ShardSetListener } from './shard-set.js';
import type { StopSignal } from './stop-signal.js';
import { identifyWaves } from './waves.js';
import type { ClusterLifecycleEvent } from './lifecycle-event.js';
import type { DispatchSink, ReshardHost } from '../reshard/host.js';
import { describeLayout, type ShardLayout } from '../reshard/layout.js';
import type { ReshardReport } from '../reshard/reshard-events.js';
import { checkReshard, ReshardRun } from '../reshard/reshard.js';
import type { PhasedReshard, PhasedReshardOptions } from '../reshard/phased.js';
import { startPhasedReshard } from '../reshard/phased-run.js';

export type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';
export type { ClusterLifecycleEvent } from './lifecycle-event.js';

/** `ready$`'s value: the shards that reached READY (or RESUMED) and the ones that went fatal. */
export interface ClusterReady {
  readonly shardIds: readonly number[];
  readonly failed: readonly number[];
  readonly elapsedMs: number;
}

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
  /** The identify queue its shards wait on: the one given in the options, or the cluster's own. */
  readonly identifyQueue: IdentifyQueue;
  /** The layout the cluster runs now (it changes when a `reshard` hands over): pass its `totalShards` to `guildShard`. */
  layout(): ShardLayout;
  /**
   * A snapshot of every shard: status, latency, last sequence, events counted. While a reshard
   * prepares, the new layout's shards follow the running ones, marked `preparing`.
   */
  statuses(): ShardInfo[];
  /** The live sessions, as snapshots. */
  sessions(): SessionSnapshot[];
  /** Connects every shard; resolves on `ready$`, rejects if every shard went fatal. */
  connect(): Promise<ClusterReady>;
  /** Sends a gateway command through a shard's rate limiter; resolves once written (a shard not yet connected keeps it until READY). */
  send(shardId: number, command: ShardCommand): Promise<void>;
  /**
   * Moves the cluster to another layout without downtime: checks the layout and the identify
   * budget (`RESHARD_REFUSED`, nothing identified), opens the new shards beside the running ones
   * through the same identify queue and waves, switches `dispatch$` to them so that every dispatch
   * is emitted exactly once, then closes the old shards (1000). A failure while preparing closes
   * the new shards, leaves the running ones as they were and rejects (`RESHARD_ABORTED`, or
   * `CLUSTER_SHUT_DOWN`); nothing reaches `fatal$`. One reshard at a time, once `connect()` resolved.
   */
  reshard(layout: ShardLayout): Promise<ReshardReport>;
  /**
   * The same reshard run by an outside driver phase by phase (a fleet: `reshardFleet`): checked as
   * `reshard` is (throws `RESHARD_REFUSED`), the new set opens now and waits for `switch()`; with
   * `options.fleet`, events of guilds that cross clusters go through its `HandoverLedger`.
   */
  prepareReshard(layout: ShardLayout, options?: PhasedReshardOptions): PhasedReshard;
  /** Closes every shard (4000 and snapshots returned with `keepSessions`, else 1000). */
  shutdown(options?: { readonly keepSessions?: boolean }): Promise<SessionSnapshot[]>;
}

/** Creates a cluster. Options are checked at once (`INVALID_OPTIONS`); nothing connects until `connect()`. */
export const createCluster = (options: ClusterOptions): Cluster => {
  const { scheduler, flushMs, shutdownMs } = checkClusterOptions(options);
  const windowMs = options.timing?.identifyWindowMs ?? 5_000;
  const margin = options.timing?.identifyMarginMs ?? defaultIdentifyMargin(windowMs);
  const identifyQueue =
    options.identifyQueue ??
    createMemoryIdentifyQueue({
      maxConcurrency: options.gateway.maxConcurrency,
      windowMs,
      ...(options.timing?.identifyMarginMs !== undefined ? { safetyMarginMs: options.timing.identifyMarginMs } : {}),
      ...(options.gateway.sessionStartLimit ? { sessionStartLimit: options.gateway.sessionStartLimit } : {}),
      scheduler,
    });
  const store = options.sessionStore ?? createMemorySessionStore();
  const dispatch$ = new Subject<ShardDispatchEvent>();
  const fatal$ = new Subject<ShardFatalEvent>();
  const status$ = new Subject<ShardStatusEvent>();
  const lifecycle$ = new Subject<ClusterLifecycleEvent>();
  const ready$ = new ReplaySubject<ClusterReady>(1);
  const running = new Subscription();
  const shardOptions = (layout: ShardLayout, events: readonly string[] | undefined) => (
    shardId: number,
    session: SessionSnapshot | null,
    stop$: StopSignal<{ readonly keepSession: boolean }>,
    queue: IdentifyQueue,
  ): ShardOptions => ({
    token: options.token,
    intents: options.intents,
    shardId,
    totalShards: layout.totalShards,
    url: options.gateway.url,
    identifyQueue: queue,
    session,
    stop$,
    scheduler,
    ...pick(options, ['compression', 'presence', 'largeThreshold', 'maxMessageBytes', 'random', 'tls']),
    ...(events !== undefined ? { events } : {}),
    ...(options.timing ? { timing: options.timing } : {}),
  });
  const initial: ShardLayout = { totalShards: options.totalShards, shardIds: [...options.shardIds].sort((a, b) => a - b) };

  let startedAt = 0;
  let connecting: Promise<ClusterReady> | null = null;
  let settle: { resolve(ready: ClusterReady): void; reject(error: Error): void } | null = null;
  let readyFired = false;
  let shutDown: Promise<SessionSnapshot[]> | null = null;
  let resharding: ReshardRun<ShardSet> | null = null;
  /** Runs whose timers still tick (the running one; an aborted one judges a window longer): stopped at shutdown. */
  const ticking = new Set<ReshardRun<ShardSet>>();
  /** Shard ids a reshard took out of the cluster, for a clear refusal of `send`. */
  let leftInReshard: { readonly ids: ReadonlySet<number>; readonly to: ShardLayout } | null = null;

  const checkReady = () => {
    if (readyFired || current.settledCount < current.records.size) return;
    const all = [...current.records.values()];
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

  /** The running set's events: statuses and fatals go out, sessions to the store. */
  const runningListener: ShardSetListener = {
    lifecycle(_set, record, event) {
      if (event.type === 'status') status$.next(event);
      else if (event.type === 'session') {
        if (event.session === null) store.delete(record.shardId);
        else store.save(event.session);
      } else if (event.type === 'fatal') fatal$.next(event);
      lifecycle$.next(event);
      if (event.type === 'status' || event.type === 'fatal') checkReady();
    },
  };

  const createSet = (layout: ShardLayout, output: DispatchSink, listener: ShardSetListener, queue: IdentifyQueue, events: readonly string[] | undefined) =>
    new ShardSet(
      layout,
      { shardOptions: shardOptions(layout, events), identifyQueue: queue, maxConcurrency: options.gateway.maxConcurrency, scheduler, waveTimeoutMs: 2 * (windowMs + margin) },
      output,
      listener,
    );

  let current = createSet(initial, dispatch$, runningListener, identifyQueue, options.events);
  for (const id of initial.shardIds) resolveShardOptions(shardOptions(initial, options.events)(id, null, current.stop$, identifyQueue));

  const host: ReshardHost<ShardSet> = {
    get current() {
      return current;
    },
    createSet: (layout, output, listener, queue, events) => createSet(layout, output, listener, queue, events),
    adopt(next) {
      const previous = current;
      const kept = new Set(next.layout.shardIds);
      leftInReshard = { ids: new Set(previous.layout.shardIds.filter((id) => !kept.has(id))), to: next.layout };
      for (const id of leftInReshard.ids) store.delete(id);
      for (const session of next.sessions()) store.save(session);
      for (const record of next.records.values()) record.dirty = false;
      next.listener = runningListener;
      current = next;
    },
    dispatch$,
    lifecycle: (event) => lifecycle$.next(event),
    scheduler,
    identifyQueue,
    events: options.events,
    windowMs: windowMs + margin,
    waveCount: (shardIds) => identifyWaves(shardIds, options.gateway.maxConcurrency).length,
    shutdownMs,
    timing: options.timing ?? {},
  };

  const checked = (layout: ShardLayout) => checkReshard(layout, { shutDown: shutDown !== null, connected: readyFired, busy: resharding !== null, identifyQueue });
  /** The running reshard, until it ends. */
  const track = (run: ReshardRun<ShardSet>) => {
    resharding = run;
    ticking.add(run);
    void run.quiet.then(() => ticking.delete(run));
    const finished = () => {
      if (resharding === run) resharding = null;
    };
    run.report.then(finished, finished);
    return run;
  };

  return {
    dispatch$: dispatch$.asObservable(),
    fatal$: fatal$.asObservable(),
    ready$: ready$.asObservable(),
    status$: status$.asObservable(),
    lifecycle$: lifecycle$.asObservable(),
    identifyQueue,
    layout: () => current.layout,
    statuses: () => [...current.statuses(), ...preparingStatuses(resharding?.preparingSet() ?? null)],
    sessions: () => current.sessions(),
    connect() {
      if (shutDown !== null) return Promise.reject(new DisclusterError('CLUSTER_SHUT_DOWN', 'the cluster was shut down'));
      connecting ??= (async () => {
        const stored = await store.load(initial.shardIds);
        const given = new Map((options.sessions ?? []).map((s) => [s.shardId, s] as const));
        const sessions = new Map(stored);
        for (const [id, session] of given) sessions.set(id, session);
        const result = new Promise<ClusterReady>((resolve, reject) => (settle = { resolve, reject }));
        startedAt = scheduler.now();
        running.add(interval(flushMs, scheduler).subscribe(() => current.takeDirtySessions().forEach((s) => store.save(s))));
        current.start(sessions);
        return result;
      })();
      return connecting;
    },
    send(shardId, command) {
      if (shutDown === null && !current.records.has(shardId) && leftInReshard?.ids.has(shardId)) {
        return Promise.reject(
          new DisclusterError('SHARD_UNAVAILABLE', `shard ${shardId} left this cluster when it resharded to ${describeLayout(leftInReshard.to)}`),
        );
      }
      if (shutDown !== null && current.records.has(shardId)) {
        return Promise.reject(new DisclusterError('SHARD_UNAVAILABLE', `shard ${shardId} is not running (the cluster was shut down)`));
      }
      return current.send(shardId, command);
    },
    reshard(layout) {
      try {
        return track(new ReshardRun(host, checked(layout))).report;
      } catch (error) {
        return Promise.reject(error);
      }
    },
    prepareReshard(layout, phasedOptions) {
      const { run, phased } = startPhasedReshard(host, checked(layout), phasedOptions);
      track(run);
      return phased;
    },
    shutdown({ keepSessions = false } = {}) {
      shutDown ??= (async () => {
        const reshardStopped = Promise.all([...ticking].map((run) => run.stopForShutdown()));
        await Promise.all([current.stop(keepSessions, shutdownMs), reshardStopped]);
        const kept = keepSessions ? current.sessions() : [];
        running.unsubscribe();
        if (!keepSessions) for (const id of current.layout.shardIds) store.delete(id);
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

/** A set being prepared by a reshard: its shards' statuses, marked `preparing` with their layout's shard count. */
const preparingStatuses = (set: ShardSet | null): ShardInfo[] => {
  if (set === null) return [];
  const preparing = { totalShards: set.layout.totalShards };
  return set.statuses().map((info) => ({ ...info, preparing }));
};
