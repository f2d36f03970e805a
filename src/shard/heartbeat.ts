import { Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/** What the heartbeat asks of its connection. */
export type HeartbeatSignal =
  /** Send op 1 now, with the last sequence number. */
  | { readonly type: 'beat' }
  /** An ACK arrived for the beat in flight. */
  | { readonly type: 'ack'; readonly latencyMs: number }
  /** No ACK came between two beats: the connection is a zombie. The stream completes after it. */
  | { readonly type: 'zombie' };

/** Internal: a tick found the last beat unacknowledged; confirmed after pending I/O is read. */
type Suspect = { readonly type: 'suspect' };

interface BeatState {
  readonly awaitingAck: boolean;
  readonly sentAt: number;
  readonly signal: HeartbeatSignal | Suspect | null;
}

type Input = 'tick' | 'request' | 'ack' | 'check';

/** Hears what a `HeartbeatClock` decides. */
export interface HeartbeatListener {
  heartbeatSignal(signal: HeartbeatSignal): void;
}

/**
 * The heartbeat of one connection, from Hello on: the first beat after `intervalMs * random()`,
 * then one every `intervalMs`; a server request (op 1) beats at once without moving the
 * interval. A tick that finds the previous beat unacknowledged reports a zombie, so a silent
 * connection is caught within two intervals. The zombie verdict waits one scheduler turn, so an
 * ACK already received but not yet read (the event loop was busy) still counts. After a zombie,
 * or `stop()`, it is silent and holds no timer.
 *
 * A class around the pure `step` below, called directly by its connection: every connection
 * has one for as long as it lives, and an idle shard should cost little more than its socket.
 */
export class HeartbeatClock {
  private state = INITIAL;
  private ticks: Subscription | null;
  private check: Subscription | null = null;

  constructor(
    readonly intervalMs: number,
    private readonly scheduler: SchedulerLike,
    random: () => number,
    private readonly listener: HeartbeatListener,
  ) {
    this.ticks = scheduler.schedule(tick, Math.floor(intervalMs * random()), this);
  }

  /** An ACK (op 11) arrived. */
  ack(): void {
    this.feed('ack');
  }

  /** The gateway asked for a beat (op 1). */
  request(): void {
    this.feed('request');
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

  /** Internal: input from the scheduled work below. */
  feed(input: Input): void {
    if (this.ticks === null) return;
    if (input === 'check') this.check = null;
    this.state = step(this.state, input, this.scheduler.now());
    const signal = this.state.signal;
    if (signal === null) return;
    if (signal.type === 'suspect') {
      this.check ??= this.scheduler.schedule(confirm, 0, this);
      return;
    }
    if (signal.type === 'zombie') this.stop();
    this.listener.heartbeatSignal(signal);
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
 * `HeartbeatClock` as an Observable of its signals, fed by `ack$` and `request$`: completes
 * after a zombie; unsubscribing stops the clock.
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
): Observable<HeartbeatSignal> =>
  new Observable<HeartbeatSignal>((subscriber) => {
    const clock = new HeartbeatClock(intervalMs, scheduler, random, {
      heartbeatSignal: (signal) => {
        subscriber.next(signal);
        if (signal.type === 'zombie') subscriber.complete();
      },
    });
    subscriber.add(request$.subscribe(() => clock.request()));
    subscriber.add(ack$.subscribe(() => clock.ack()));
    return () => clock.stop();
  });

const INITIAL: BeatState = { awaitingAck: false, sentAt: 0, signal: null };
const BEAT: HeartbeatSignal = { type: 'beat' };
const ZOMBIE: HeartbeatSignal = { type: 'zombie' };
const SUSPECT: Suspect = { type: 'suspect' };

const step = (state: BeatState, input: Input, now: number): BeatState => {
  switch (input) {
    case 'tick':
      return state.awaitingAck ? { ...state, signal: SUSPECT } : { awaitingAck: true, sentAt: now, signal: BEAT };
    case 'check':
      // still no ACK: a zombie; the ACK came after all: the beat the tick held back goes now
      return state.awaitingAck ? { ...state, signal: ZOMBIE } : { awaitingAck: true, sentAt: now, signal: BEAT };
    case 'request':
      return state.awaitingAck ? { ...state, signal: BEAT } : { awaitingAck: true, sentAt: now, signal: BEAT };
    case 'ack':
      return state.awaitingAck
        ? { awaitingAck: false, sentAt: state.sentAt, signal: { type: 'ack', latencyMs: now - state.sentAt } }
        : { ...state, signal: null };
  }
};
