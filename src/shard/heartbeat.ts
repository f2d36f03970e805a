import { Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { type BeatInput, beatStep, type HeartbeatSignal, INITIAL_BEAT_STATE, lateAckLimitMs } from './heartbeat-step.js';

export type { HeartbeatSignal } from './heartbeat-step.js';

/** Hears what a `HeartbeatClock` decides. */
export interface HeartbeatListener {
  /**
   * For a beat: false when it could not be written now (the send limit holds it); the clock
   * then waits for `sent()` before it awaits the beat's ACK. Anything else: written.
   */
  heartbeatSignal(signal: HeartbeatSignal): boolean | void;
}

/**
 * The heartbeat of one connection, from Hello on: the first beat after `intervalMs * random()`,
 * then one every `intervalMs`; a server request (op 1) beats at once without moving the
 * interval. A tick that finds the previous beat unacknowledged with nothing received since
 * reports a zombie, so a silent connection is caught within two intervals; while frames keep
 * arriving (`inbound()`) a late ACK is forgiven up to `lateAckLimitMs` (see heartbeat-step.ts).
 * The zombie verdict waits one scheduler turn, so an ACK or frame already received but not yet
 * read (the event loop was busy) still counts; a beat that check lets go starts the next interval,
 * so every beat has a whole interval before a tick judges it. After a zombie, or `stop()`, it is
 * silent and holds no timer.
 *
 * A class around the pure `step` below, called directly by its connection: every connection
 * has one for as long as it lives, and an idle shard should cost little more than its socket.
 */
export class HeartbeatClock {
  private state = INITIAL_BEAT_STATE;
  private ticks: Subscription | null;
  private check: Subscription | null = null;
  /** A frame arrived since the last beat went out. */
  private received = false;
  /** Frames wait unhandled on our side (the read turn holds them): the connection is delivering. */
  private held = false;

  constructor(
    readonly intervalMs: number,
    private readonly scheduler: SchedulerLike,
    random: () => number,
    private readonly listener: HeartbeatListener,
    private readonly lateAckMs: number = lateAckLimitMs(intervalMs),
  ) {
    this.ticks = scheduler.schedule(tick, Math.floor(intervalMs * random()), this);
  }

  /** A frame arrived from the gateway (any frame: the connection is delivering). Cheap: one field. */
  inbound(): void {
    this.received = true;
  }

  /**
   * Our side holds the socket back (true) or no longer (false): the read turn paused it, for
   * frames of its own that wait or because another connection's do (read-turn.ts). While held
   * no frame "arrives", yet nothing says the gateway went silent: counts as a frame arrived for
   * as long as it lasts, and until the next beat (a connection held back for most of an
   * interval and read again just before the tick is not a silent one).
   */
  hold(on: boolean): void {
    this.held = on;
    if (on) this.received = true;
  }

  /** An ACK (op 11) arrived. */
  ack(): void {
    this.feed('ack');
  }

  /** The gateway asked for a beat (op 1). */
  request(): void {
    this.feed('request');
  }

  /**
   * A beat the listener reported withheld was written now: its ACK is awaited from now on, and
   * the next tick is an interval away (a beat just written has not had its interval to be answered).
   */
  sent(): void {
    if (this.ticks === null) return;
    this.feed('sent');
    this.restartTicks();
  }

  /** Clears every timer; nothing is signalled after. */
  stop(): void {
    this.ticks?.unsubscribe();
    this.check?.unsubscribe();
    this.ticks = null;
    this.check = null;
  }

  /** True until a zombie is reported or `stop()` is called. */
  get running(): boolean {
    return this.ticks !== null;
  }

  /** The next tick an interval from now: a beat written off the ticks' beat (held back, or let go by a check) gets its whole interval. */
  private restartTicks(): void {
    if (this.ticks === null) return; // stopped (maybe by the listener, while it wrote the beat): no timer comes back
    this.ticks.unsubscribe();
    this.ticks = this.scheduler.schedule(tick, this.intervalMs, this);
  }

  /** Internal: input from the scheduled work below. */
  feed(input: BeatInput): void {
    if (this.ticks === null) return;
    if (input === 'check') this.check = null;
    const awaited = this.state.pending.length;
    this.state = beatStep(this.state, input, this.scheduler.now(), this.received || this.held, this.lateAckMs);
    const signal = this.state.signal;
    if (input === 'sent') this.received = false;
    if (signal === null) return;
    if (signal.type === 'suspect') {
      this.check ??= this.scheduler.schedule(confirm, 0, this);
      return;
    }
    if (signal.type === 'zombie') this.stop();
    const written = this.listener.heartbeatSignal(signal) !== false;
    if (signal.type !== 'beat') return;
    if (!written) {
      if (this.state.pending.length > awaited) this.state = beatStep(this.state, 'withheld', this.scheduler.now(), false, this.lateAckMs);
      return;
    }
    if (input !== 'request') this.received = false;
    // a check runs a turn after its tick (a long turn on a busy loop): from the tick's schedule, the next one could judge this beat almost at once
    if (input === 'check') this.restartTicks();
  }
}

/** Scheduled work: one tick, then the next one an interval later. Plain functions, no closures. */
function tick(this: SchedulerAction<HeartbeatClock>, clock?: HeartbeatClock): void {
  if (clock === undefined) return;
  clock.feed('tick');
  if (clock.running) this.schedule(clock, clock.intervalMs);
}

function confirm(this: SchedulerAction<HeartbeatClock>, clock?: HeartbeatClock): void {
  clock?.feed('check');
}

/**
 * `HeartbeatClock` as an Observable of its signals, fed by `ack$`, `request$` and, optionally,
 * `inbound$` (frames arriving), `held$` (frames waiting on our side: true, then false) and the
 * late ACK limit: completes after a zombie; unsubscribing stops the clock.
 *
 * ```text
 * interval 4, random 0.5:
 * tick:     --t---t---t
 * ack$:     ---a-------
 * result:   --b-a-b---(z|)
 * ```
 */
export const heartbeat = (
  intervalMs: number,
  ack$: Observable<unknown>,
  request$: Observable<unknown>,
  scheduler: SchedulerLike,
  random: () => number,
  inbound?: { readonly inbound$: Observable<unknown>; readonly held$?: Observable<boolean>; readonly lateAckMs?: number },
): Observable<HeartbeatSignal> =>
  new Observable<HeartbeatSignal>((subscriber) => {
    const listener: HeartbeatListener = {
      heartbeatSignal: (signal) => {
        subscriber.next(signal);
        if (signal.type === 'zombie') subscriber.complete();
      },
    };
    const clock = new HeartbeatClock(intervalMs, scheduler, random, listener, inbound?.lateAckMs ?? lateAckLimitMs(intervalMs));
    if (inbound) subscriber.add(inbound.inbound$.subscribe(() => clock.inbound()));
    if (inbound?.held$) subscriber.add(inbound.held$.subscribe((on) => clock.hold(on)));
    subscriber.add(request$.subscribe(() => clock.request()));
    subscriber.add(ack$.subscribe(() => clock.ack()));
    return () => clock.stop();
  });
