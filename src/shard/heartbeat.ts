import { defer, filter, map, merge, type Observable, type SchedulerLike, scan, takeWhile, timer } from 'rxjs';

/** What the heartbeat asks of its connection. */
export type HeartbeatSignal =
  /** Send op 1 now, with the last sequence number. */
  | { readonly type: 'beat' }
  /** An ACK arrived for the beat in flight. */
  | { readonly type: 'ack'; readonly latencyMs: number }
  /** No ACK came between two beats: the connection is a zombie. The stream completes after it. */
  | { readonly type: 'zombie' };

interface BeatState {
  readonly awaitingAck: boolean;
  readonly sentAt: number;
  readonly signal: HeartbeatSignal | null;
}

type Input = 'tick' | 'request' | 'ack';

/**
 * The heartbeat of one connection, from Hello on: the first beat after `intervalMs * random()`,
 * then one every `intervalMs`; a server request (op 1) beats at once without moving the
 * interval. A tick that finds the previous beat unacknowledged reports a zombie, so a silent
 * connection is caught within two intervals.
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
  defer(() =>
    merge(
      timer(Math.floor(intervalMs * random()), intervalMs, scheduler).pipe(map((): Input => 'tick')),
      request$.pipe(map((): Input => 'request')),
      ack$.pipe(map((): Input => 'ack')),
    ).pipe(
      scan((state: BeatState, input: Input): BeatState => step(state, input, scheduler.now()), INITIAL),
      map((state) => state.signal),
      filter((signal): signal is HeartbeatSignal => signal !== null),
      takeWhile((signal) => signal.type !== 'zombie', true),
    ),
  );

const INITIAL: BeatState = { awaitingAck: false, sentAt: 0, signal: null };
const BEAT: HeartbeatSignal = { type: 'beat' };
const ZOMBIE: HeartbeatSignal = { type: 'zombie' };

const step = (state: BeatState, input: Input, now: number): BeatState => {
  switch (input) {
    case 'tick':
      return state.awaitingAck ? { ...state, signal: ZOMBIE } : { awaitingAck: true, sentAt: now, signal: BEAT };
    case 'request':
      return state.awaitingAck ? { ...state, signal: BEAT } : { awaitingAck: true, sentAt: now, signal: BEAT };
    case 'ack':
      return state.awaitingAck
        ? { awaitingAck: false, sentAt: state.sentAt, signal: { type: 'ack', latencyMs: now - state.sentAt } }
        : { ...state, signal: null };
  }
};
