import { interval, Subscription, tap } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';
import type { IdentifyQueue, ShardDispatchEvent } from '../shard/types.js';
import { eventShard } from './event-owner.js';
import { Handover } from './handover.js';
import type { DispatchSink, ReshardHost, ReshardSet, ReshardSetListener } from './host.js';
import { checkLayout, describeLayout, type ShardLayout } from './layout.js';
import type { LedgerRoute } from './ledger-route.js';
import type { PhaseGate } from './phased.js';
import type { ReshardReport } from './reshard-events.js';
import { StartupGuilds } from './startup-guilds.js';
import { RESHARD_TIMING_DEFAULTS } from './timing.js';

/** Identifies kept in hand beyond one per new shard: 10 % of the new shards, at least 1 (a shard may have to identify again). */
export const reshardBudgetMargin = (newShards: number): number => Math.max(1, Math.ceil(newShards / 10));

/** Step 1: the layout checked, or `RESHARD_REFUSED` thrown before anything is identified. */
export const checkReshard = (
  layout: ShardLayout,
  state: { readonly shutDown: boolean; readonly connected: boolean; readonly busy: boolean; readonly identifyQueue: IdentifyQueue },
): ShardLayout => {
  if (state.shutDown) throw new DisclusterError('CLUSTER_SHUT_DOWN', 'the cluster was shut down');
  const checked = checkLayout(layout);
  if (state.busy) throw new DisclusterError('RESHARD_REFUSED', 'reshard refused: another reshard is running');
  if (!state.connected) throw new DisclusterError('RESHARD_REFUSED', 'reshard refused: the cluster is not up yet (wait for connect() to resolve)');
  const remaining = (state.identifyQueue as { readonly remaining?: unknown }).remaining;
  const need = checked.shardIds.length + reshardBudgetMargin(checked.shardIds.length);
  if (typeof remaining === 'number' && remaining < need) {
    throw new DisclusterError(
      'RESHARD_REFUSED',
      `reshard refused: ${describeLayout(checked)} needs ${need} identifies (one per new shard plus a margin of ${need - checked.shardIds.length}); the identify budget has ${remaining} left`,
    );
  }
  return checked;
};

/** Dispatches the user did not ask for: the new set receives READY and GUILD_* for its own bookkeeping. */
class WantedOnly implements DispatchSink {
  constructor(
    private readonly wanted: ReadonlySet<string>,
    private readonly sink: DispatchSink,
  ) {}

  next(event: ShardDispatchEvent): void {
    if (this.wanted.has(event.t)) this.sink.next(event);
  }
}

const DISCARD: DispatchSink = { next: () => {} };
const IGNORE: ReshardSetListener = { lifecycle: () => {} };
const STARTUP_EVENTS = ['READY', 'GUILD_CREATE', 'GUILD_DELETE'];

type RunPhase = 'preparing' | 'handing-over' | 'done' | 'aborted';

/** A phased run (`gate`: the driver switches and retires) and a fleet's ledger for the guilds that cross clusters (`route`). */
export interface ReshardRunExtras {
  readonly gate?: PhaseGate;
  readonly route?: LedgerRoute;
}

/**
 * One reshard, steps 2 to 5 (the I/O around `Handover` and `StartupGuilds`): prepares the new set
 * beside the running one, hands `dispatch$` over once every new shard is ready, retires the old
 * set, or aborts leaving the old set as it was.
 */
export class ReshardRun<S extends ReshardSet = ReshardSet> {
  /** Resolves with the report once the old set is closed and the match window has passed; rejects on abort. */
  readonly report: Promise<ReshardReport>;
  private phase: RunPhase = 'preparing';
  private readonly from: ShardLayout;
  private readonly old: S;
  private readonly oldOutput: DispatchSink;
  private readonly next: S;
  private readonly handover: Handover;
  private readonly startup: StartupGuilds;
  private readonly timers = new Subscription();
  private readonly startedAt: number;
  private readonly wanted: ReadonlySet<string> | null;
  private identifies = 0;
  /** New shards that have had Hello and identify (or will at their turn): Discord may send them events from then on. */
  private readonly identifying = new Set<number>();
  private handoffMs = 0;
  private settle!: { resolve(report: ReshardReport): void; reject(error: Error): void };
  /** Resolves once the sets this run closes are closed. */
  private closed: Promise<void> | null = null;
  private endDrain: (() => void) | null = null;
  /** `shutdown()` was called while handing over: no more waiting for the match window. */
  private stopping = false;
  private readonly prepareTimeout: Subscription;
  /** Phased: new shards ready so far (reported when it changes). */
  private readyCount = 0;

  constructor(
    private readonly host: ReshardHost<S>,
    private readonly to: ShardLayout,
    private readonly extras: ReshardRunExtras = {},
  ) {
    this.report = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    const { scheduler } = host;
    const timing = host.timing;
    this.startedAt = scheduler.now();
    this.old = host.current;
    this.from = this.old.layout;
    this.oldOutput = this.old.output;
    this.wanted = host.events === undefined ? null : new Set(host.events);
    this.handover = new Handover((event) => host.dispatch$.next(event), timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs);
    this.startup = new StartupGuilds(timing.reshardGuildsTimeoutMs ?? RESHARD_TIMING_DEFAULTS.reshardGuildsTimeoutMs);
    const counted: IdentifyQueue = { acquire: (shardId) => host.identifyQueue.acquire(shardId).pipe(tap(() => this.identifies++)) };
    const events = host.events === undefined ? undefined : [...new Set([...host.events, ...STARTUP_EVENTS])];
    this.next = host.createSet(to, { next: (event) => this.fromNew(event) }, { lifecycle: (_set, record, event) => this.newShardEvent(record.shardId, event) }, counted, events);

    const waves = host.waveCount(to.shardIds);
    const timeoutMs = timing.reshardTimeoutMs ?? waves * 2 * host.windowMs + 60_000;
    this.prepareTimeout = scheduler.schedule(() => this.abort(new DisclusterError('RESHARD_ABORTED', `${this.describe()} aborted: the new shards were not ready within ${timeoutMs} ms`)), timeoutMs);
    this.timers.add(this.prepareTimeout);
    const matchMs = timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs;
    // a fleet's route holds new copies a quarter of the window: checked twice as often
    const tick = Math.max(10, Math.floor(matchMs / (extras.route ? 8 : 4)));
    this.timers.add(interval(tick, scheduler).subscribe(() => (this.handover.expire(scheduler.now()), extras.route?.expire())));

    this.old.output = { next: (event) => extras.route?.fromOld(event) || this.handover.fromOld(event, scheduler.now(), this.twinPossible(event)) };
    host.lifecycle({ type: 'reshard', phase: 'preparing', from: this.from, to });
    this.next.start(new Map());
  }

  /**
   * `shutdown()` was called: while preparing, abort (the new set closes, the report rejects with
   * `CLUSTER_SHUT_DOWN`); while handing over, end the match window now. Resolves once the sets this
   * run closes are closed; the cluster closes its running set itself.
   */
  stopForShutdown(): Promise<void> {
    if (this.phase === 'preparing') return this.abort(new DisclusterError('CLUSTER_SHUT_DOWN', `the cluster was shut down during its ${this.describe()}`));
    if (this.phase !== 'handing-over') return this.closed ?? Promise.resolve();
    this.stopping = true;
    this.endDrain?.();
    return this.report.then(
      () => undefined,
      () => undefined,
    );
  }

  /** The new layout's set while it is prepared; null from the switch on (it is the running set then). */
  preparingSet(): S | null {
    return this.phase === 'preparing' ? this.next : null;
  }

  /** Whether the new shard owning this event has begun to identify (only then can it receive a twin). */
  private twinPossible(event: ShardDispatchEvent): boolean {
    const owner = eventShard(event, this.to.totalShards);
    return owner === undefined || this.identifying.has(owner);
  }

  private describe(): string {
    return `reshard from ${describeLayout(this.from)} to ${describeLayout(this.to)}`;
  }

  private fromNew(event: ShardDispatchEvent): void {
    const now = this.host.scheduler.now();
    if (this.phase === 'preparing' || this.phase === 'handing-over') {
      if (this.startup.take(event, now)) {
        if (event.t === 'READY') this.timers.add(this.host.scheduler.schedule(() => this.handOverWhenReady(), this.startupTimeout()));
        this.handOverWhenReady();
        return;
      }
    }
    if (this.wanted !== null && !this.wanted.has(event.t)) return;
    if (this.extras.route?.fromNew(event)) return;
    this.handover.fromNew(event, now);
  }

  private startupTimeout(): number {
    return this.host.timing.reshardGuildsTimeoutMs ?? RESHARD_TIMING_DEFAULTS.reshardGuildsTimeoutMs;
  }

  private newShardEvent(shardId: number, event: ShardLifecycleEvent): void {
    if (event.type === 'status') {
      if (event.status !== 'connecting' && event.status !== 'closed') this.identifying.add(shardId);
      this.host.lifecycle({
        type: 'reshard-status',
        shardId,
        totalShards: this.to.totalShards,
        status: event.status,
        ...(event.code !== undefined ? { code: event.code } : {}),
        ...(event.reason !== undefined ? { reason: event.reason } : {}),
      });
    } else if (event.type === 'fatal') {
      const code = event.code === null ? '' : ` (close ${event.code})`;
      this.abort(new DisclusterError('RESHARD_ABORTED', `${this.describe()} aborted: new shard ${shardId} stopped${code}: ${event.reason}`, { cause: event }));
    }
  }

  private handOverWhenReady(): void {
    const { gate } = this.extras;
    if (this.phase !== 'preparing' || gate?.isPrepared === true) return;
    const now = this.host.scheduler.now();
    const ready = this.to.shardIds.filter((id) => this.startup.settled(id, now)).length;
    if (gate !== undefined && ready !== this.readyCount) {
      this.readyCount = ready;
      this.host.lifecycle({ type: 'reshard', phase: 'preparing', from: this.from, to: this.to, ready, total: this.to.shardIds.length });
    }
    if (ready < this.to.shardIds.length) return;
    if (gate === undefined) return void this.handOver(now);
    this.host.lifecycle({ type: 'reshard', phase: 'prepared', from: this.from, to: this.to, ready, total: ready });
    this.prepareTimeout.unsubscribe(); // from now on the driver decides (its own timeout, its abort)
    gate.markPrepared();
  }

  /** Phased: the driver's switch; false unless every new shard is ready and nothing switched yet. */
  switchByDriver(): boolean {
    if (this.phase !== 'preparing' || this.extras.gate?.isPrepared !== true) return false;
    void this.handOver(this.host.scheduler.now());
    return true;
  }

  /** Phased: the driver's abort, while preparing (afterwards the new layout runs and this does nothing). */
  abortByDriver(): Promise<void> {
    return this.abort(new DisclusterError('RESHARD_ABORTED', `${this.describe()} aborted by its driver`));
  }

  /**
   * Steps 3 and 4: switch (the new set's held events go out, the first copy of each event wins),
   * adopt the new set, keep reading the old one for the match window (an event only it had, sent
   * before a new shard existed, may still be on its way), then close it and report.
   */
  private async handOver(now: number): Promise<void> {
    this.phase = 'handing-over';
    const { host } = this;
    this.handoffMs = now - Math.max(...this.to.shardIds.map((id) => this.startup.readyAt(id) ?? now));
    host.lifecycle({ type: 'reshard', phase: 'handing-over', from: this.from, to: this.to });
    this.old.listener = IGNORE;
    this.handover.switchOver(now);
    this.extras.route?.switchOver();
    host.adopt(this.next);
    const matchMs = host.timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs;
    // phased: the old set is read until the driver retires it, and at least for the match window
    await new Promise<void>((resolve) => {
      this.endDrain = resolve;
      const windowPassed = new Promise<void>((passed) => this.timers.add(host.scheduler.schedule(() => passed(), matchMs)));
      void Promise.all([windowPassed, this.extras.gate?.retireRequested.fired]).then(() => resolve());
    });
    this.handover.close();
    this.old.output = DISCARD;
    this.closed = this.old.stop(false, host.shutdownMs);
    await this.closed;
    this.extras.route?.close();
    // a lagging new set may still bring copies of what the old set emitted just before the close:
    // its events keep going through the handover until each old one was matched or forgotten
    await this.handoverFinished();
    this.timers.unsubscribe();
    this.next.output = this.wanted === null ? host.dispatch$ : new WantedOnly(this.wanted, host.dispatch$);
    this.phase = 'done';
    const report: ReshardReport = {
      from: this.from,
      to: this.to,
      identifies: this.identifies,
      elapsedMs: host.scheduler.now() - this.startedAt,
      handoffMs: this.handoffMs,
      duplicatesSuppressed: this.handover.counts.duplicatesSuppressed,
      recoveredFromNewSet: this.handover.counts.recoveredFromNewSet,
      ...(this.extras.route ? { ledger: { ...this.extras.route.counts } } : {}),
    };
    host.lifecycle({ type: 'reshard', phase: 'done', from: this.from, to: this.to, report, peakHeld: this.handover.counts.peakHeld });
    this.settle.resolve(report);
  }

  /** Resolves once the handover has finished (checked at each expire tick; at once on shutdown). */
  private handoverFinished(): Promise<void> {
    const finished = () => this.handover.finished && (this.extras.route?.finished ?? true);
    if (this.stopping || finished()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.endDrain = resolve;
      const matchMs = this.host.timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs;
      this.timers.add(interval(Math.max(10, Math.floor(matchMs / 4)), this.host.scheduler).subscribe(() => finished() && resolve()));
    });
  }

  /** Step 5: close every new shard, give the old set its output back, reject. Only while preparing. */
  private abort(error: DisclusterError): Promise<void> {
    if (this.phase !== 'preparing') return this.closed ?? Promise.resolve();
    this.phase = 'aborted';
    this.timers.unsubscribe();
    this.extras.gate?.markAborted(error);
    const { route } = this.extras;
    route?.abort();
    // another cluster's new set may have emitted a crossing event first: its twin here is still judged for a window
    this.old.output = route === undefined ? this.oldOutput : { next: (event) => route.fromOld(event) || this.oldOutput.next(event) };
    this.next.listener = IGNORE;
    this.next.output = DISCARD;
    this.closed = this.next.stop(false, this.host.shutdownMs).then(() => {
      this.host.lifecycle({ type: 'reshard', phase: 'aborted', from: this.from, to: this.to, reason: error.message });
      this.settle.reject(error);
    });
    return this.closed;
  }
}
