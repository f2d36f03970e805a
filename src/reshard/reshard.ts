import { interval, Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import type { ShardLifecycleEvent } from '../shard/lifecycle-event.js';
import type { ShardDispatchEvent } from '../shard/types.js';
import { countingSentIdentifies } from './counted-identifies.js';
import { eventShard } from './event-owner.js';
import { Handover } from './handover.js';
import type { DispatchSink, ReshardHost, ReshardSet } from './host.js';
import { DISCARD, IGNORE, WantedOnly } from './sinks.js';
import { describeLayout, type ShardLayout } from './layout.js';
import type { LedgerRoute } from './ledger-route.js';
import type { PhaseGate } from './phased.js';
import type { ReshardReport } from './reshard-events.js';
import { StartupGuilds } from './startup-guilds.js';
import { RunningClock } from './running-clock.js';
import { RESHARD_TIMING_DEFAULTS, reshardTickMs } from './timing.js';

export { checkReshard, reshardBudgetMargin } from './reshard-check.js';

const STARTUP_EVENTS = ['READY', 'GUILD_CREATE', 'GUILD_DELETE'];

type RunPhase = 'preparing' | 'handing-over' | 'done' | 'aborted';

/** A phased run (`gate`: the driver switches and retires) and a fleet's ledger for the guilds that cross clusters (`route`). */
export interface ReshardRunExtras {
  readonly gate?: PhaseGate;
  readonly route?: LedgerRoute;
  /** The clock the windows are measured on (the route's too); made by the run when not given. */
  readonly clock?: RunningClock;
}

/**
 * One reshard, steps 2 to 5 (the I/O around `Handover` and `StartupGuilds`): prepares the new set
 * beside the running one, hands `dispatch$` over once every new shard is ready, retires the old
 * set, or aborts leaving the old set as it was.
 */
export class ReshardRun<S extends ReshardSet = ReshardSet> {
  /** Resolves with the report once the old set is closed and the match window has passed; rejects on abort. */
  readonly report: Promise<ReshardReport>;
  /** Resolves once the run's timers are cleared (after an abort a fleet's route still judges one window). */
  readonly quiet: Promise<void>;
  private becomeQuiet!: () => void;
  private phase: RunPhase = 'preparing';
  private readonly from: ShardLayout;
  private readonly old: S;
  private readonly oldOutput: DispatchSink;
  private readonly next: S;
  private readonly handover: Handover;
  private readonly startup: StartupGuilds;
  private readonly timers = new Subscription();
  /** The clock's tick (and the handover's expiry); it outlives `timers` after an abort while the route still judges. */
  private readonly ticking = new Subscription();
  /** Windows are measured in the time this process ran (`RunningClock`), not in wall time. */
  private readonly clock: RunningClock;
  /** Conditions waited for, checked at each tick. */
  private readonly waits = new Set<{ readonly met: () => boolean; readonly done: () => void }>();
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
    this.quiet = new Promise((resolve) => (this.becomeQuiet = resolve));
    const { scheduler } = host;
    const timing = host.timing;
    this.startedAt = scheduler.now();
    this.old = host.current;
    this.from = this.old.layout;
    this.oldOutput = this.old.output;
    this.wanted = host.events === undefined ? null : new Set(host.events);
    this.handover = new Handover((event) => host.dispatch$.next(event), timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs);
    this.startup = new StartupGuilds(timing.reshardGuildsTimeoutMs ?? RESHARD_TIMING_DEFAULTS.reshardGuildsTimeoutMs);
    const counted = countingSentIdentifies(host.identifyQueue, () => this.identifies++);
    const events = host.events === undefined ? undefined : [...new Set([...host.events, ...STARTUP_EVENTS])];
    this.next = host.createSet(to, { next: (event) => this.fromNew(event) }, { lifecycle: (_set, record, event) => this.newShardEvent(record.shardId, event) }, counted, events);

    const waves = host.waveCount(to.shardIds);
    const timeoutMs = timing.reshardTimeoutMs ?? waves * 2 * host.windowMs + 60_000;
    this.prepareTimeout = scheduler.schedule(() => this.abort(new DisclusterError('RESHARD_ABORTED', `${this.describe()} aborted: the new shards were not ready within ${timeoutMs} ms`)), timeoutMs);
    this.timers.add(this.prepareTimeout);
    const tick = reshardTickMs(timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs, extras.route !== undefined);
    const clock = (this.clock = extras.clock ?? new RunningClock(() => scheduler.now(), tick));
    this.ticking.add(interval(tick, scheduler).subscribe(() => this.tick()));

    this.old.output = { next: (event) => extras.route?.fromOld(event) || this.handover.fromOld(event, clock.now(), this.twinPossible(event)) };
    host.lifecycle({ type: 'reshard', phase: 'preparing', from: this.from, to });
    this.next.start(new Map());
  }

  /**
   * `shutdown()` was called: while preparing, abort (the new set closes, the report rejects with
   * `CLUSTER_SHUT_DOWN`); while handing over, end the match window now. Resolves once the sets this
   * run closes are closed; the cluster closes its running set itself.
   */
  stopForShutdown(): Promise<void> {
    if (this.phase === 'preparing') void this.abort(new DisclusterError('CLUSTER_SHUT_DOWN', `the cluster was shut down during its ${this.describe()}`));
    if (this.phase !== 'handing-over') return (this.stopTicking(), this.closed ?? Promise.resolve());
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

  /** Every tick: the clock learns of stalls, then the windows that ended on it end. */
  private tick(): void {
    this.clock.tick();
    const now = this.clock.now();
    this.handover.expire(now);
    this.extras.route?.expire();
    for (const wait of this.waits) if (wait.met()) (this.waits.delete(wait), wait.done());
    if (this.phase === 'aborted' && (this.extras.route?.finished ?? true)) this.stopTicking();
  }

  private stopTicking(): void {
    this.ticking.unsubscribe();
    this.clock.stopTicking();
    this.becomeQuiet();
  }

  /** Resolves at the first tick where `met()` holds (never once the ticks end: a shutdown ends the waits another way). */
  private waitFor(met: () => boolean): Promise<void> {
    return new Promise((done) => this.waits.add({ met, done }));
  }

  /** Resolves once `ms` of running time have passed. */
  private afterRunning(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    return this.waitFor(() => this.clock.now() >= until);
  }

  private fromNew(event: ShardDispatchEvent): void {
    const now = this.clock.now();
    if (this.phase === 'preparing' || this.phase === 'handing-over') {
      if (this.startup.take(event, this.host.scheduler.now())) {
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
    this.handover.switchOver(this.clock.now());
    this.extras.route?.switchOver();
    host.adopt(this.next);
    const matchMs = host.timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs;
    // phased: the old set is read until the driver retires it, and at least for the match window
    await new Promise<void>((resolve) => {
      this.endDrain = resolve;
      void Promise.all([this.afterRunning(matchMs), this.extras.gate?.retireRequested.fired]).then(() => resolve());
    });
    this.handover.close();
    this.old.output = DISCARD;
    this.closed = this.old.stop(false, host.shutdownMs);
    await this.closed;
    this.extras.route?.close();
    // a lagging new set may still bring copies of what the old set emitted: matched until each was or was forgotten
    await this.handoverFinished();
    this.timers.unsubscribe();
    this.stopTicking();
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
      void this.waitFor(finished).then(resolve);
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
