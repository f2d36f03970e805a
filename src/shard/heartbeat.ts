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

/**
 * The heartbeat of one connection, from Hello on: the first beat after `intervalMs * random()`,
 * then one every `intervalMs`; a server request (op 1) beats at once without moving the
 * interval. A tick that finds the previous beat unacknowledged reports a zombie, so a silent
 * connection is caught within two intervals. The zombie verdict waits one scheduler turn, so an
 * ACK already received but not yet read (the event loop was busy) still counts.
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
  // One Observable around the pure `step` below rather than an operator chain: every connection
  // has a heartbeat, and each operator would cost it a subscriber and closures while idle.
  new Observable<HeartbeatSignal>((subscriber) => {
    let state = INITIAL;
    let check: Subscription | null = null;
    const feed = (input: Input): void => {
      state = step(state, input, scheduler.now());
      const signal = state.signal;
      if (signal === null) return;
      if (signal.type === 'suspect') {
        check ??= scheduler.schedule(() => {
          check = null;
          feed('check');
        }, 0);
        return;
      }
      subscriber.next(signal);
      if (signal.type === 'zombie') subscriber.complete();
    };
    const ticks = scheduler.schedule(function tick(this: SchedulerAction<void>) {
      feed('tick');
      if (!subscriber.closed) this.schedule(undefined, intervalMs);
    }, Math.floor(intervalMs * random()));
    const requests = request$.subscribe(() => feed('request'));
    const acks = ack$.subscribe(() => feed('ack'));
    return () => {
      ticks.unsubscribe();
      check?.unsubscribe();
      requests.unsubscribe();
      acks.unsubscribe();
    };
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
