/**
 * The heartbeat's decisions as a pure step function: what a tick, an ACK, a server request or a
 * deferred check does to the state, given the time and whether frames arrived since the last
 * beat. `HeartbeatClock` (heartbeat.ts) drives it with timers.
 *
 * Liveness: a connection that keeps delivering frames is not dead. Under a storm (a large bot's
 * GUILD_CREATEs at startup) the ACK waits in the socket behind megabytes of events, so a beat can
 * stay unanswered past the next tick while the connection is perfectly healthy. A missing ACK is
 * therefore forgiven at a tick when frames arrived since the previous beat, another beat goes
 * out (the gateway still gets one per interval) and the ACKs are matched to beats in order. Two
 * bounds keep a real zombie caught: a tick with nothing received since the previous beat still
 * reports a zombie at once (as fast as before), and a beat left unanswered longer than the late
 * ACK limit is a zombie however much arrives (a connection delivering only a trickle, or only
 * frames that never lead to an ACK).
 *
 * A beat counts from when it is written. Heartbeats count against the gateway's 120 frames a
 * minute like any other, so at an interval under half a second (an emulator's) the send limit
 * holds some back: a beat the gateway never got cannot be answered, so a withheld one is taken
 * back from the beats that wait for an ACK, and joins them when it is written.
 */

/** What the heartbeat asks of its connection. */
export type HeartbeatSignal =
  /** Send op 1 now, with the last sequence number. */
  | { readonly type: 'beat' }
  /** An ACK arrived for the oldest beat in flight. */
  | { readonly type: 'ack'; readonly latencyMs: number }
  /** A beat went unanswered with nothing else arriving, or past the late ACK limit: a zombie. */
  | { readonly type: 'zombie' };

/** Internal: a tick found a beat unacknowledged; confirmed after pending I/O is read. */
export type Suspect = { readonly type: 'suspect' };

/** The heartbeat's state between steps. */
export interface BeatState {
  /** When each beat still waiting for its ACK was sent, oldest first (empty: none waits). */
  readonly pending: readonly number[];
  readonly signal: HeartbeatSignal | Suspect | null;
}

/**
 * What moves the heartbeat. `withheld`: the beat just signalled, which joined the beats waiting
 * for an ACK, was not written (the send limit holds it). `sent`: a withheld beat was written now.
 */
export type BeatInput = 'tick' | 'request' | 'ack' | 'check' | 'withheld' | 'sent';

/** An unanswered beat is forgiven for at most this many intervals while frames keep arriving… */
export const LATE_ACK_INTERVALS = 3;
/** …and at least this long, so a short interval (tests, emulators) still rides out a storm of several seconds. */
export const LATE_ACK_FLOOR_MS = 30_000;

/** How long a beat may stay unanswered while frames keep arriving, for a heartbeat interval. */
export const lateAckLimitMs = (intervalMs: number): number => Math.max(LATE_ACK_INTERVALS * intervalMs, LATE_ACK_FLOOR_MS);

/** The state before the first beat. */
export const INITIAL_BEAT_STATE: BeatState = { pending: [], signal: null };

const BEAT: HeartbeatSignal = { type: 'beat' };
const ZOMBIE: HeartbeatSignal = { type: 'zombie' };
const SUSPECT: Suspect = { type: 'suspect' };

/** A beat goes out now and joins the beats waiting for their ACK. */
const beat = (state: BeatState, now: number): BeatState => ({ pending: [...state.pending, now], signal: BEAT });

/** True when the oldest unanswered beat may still be waiting behind inbound traffic. */
const forgiven = (state: BeatState, now: number, inbound: boolean, limitMs: number): boolean =>
  inbound && now - (state.pending[0] ?? now) < limitMs;

/**
 * One step. `inbound`: a frame arrived since the last beat went out (the clock resets it at each
 * beat). `limitMs`: the late ACK limit (`lateAckLimitMs(interval)`).
 */
export const beatStep = (state: BeatState, input: BeatInput, now: number, inbound: boolean, limitMs: number): BeatState => {
  switch (input) {
    case 'tick':
      if (state.pending.length === 0 || forgiven(state, now, inbound, limitMs)) return beat(state, now);
      return { ...state, signal: SUSPECT };
    case 'check':
      // the ACK came after all, or frames were read in the meantime: the beat the tick held back goes now
      if (state.pending.length === 0 || forgiven(state, now, inbound, limitMs)) return beat(state, now);
      return { ...state, signal: ZOMBIE };
    case 'request':
      // a requested beat while others wait adds no entry: its ACK is matched to the oldest, which only shortens a wait
      return state.pending.length === 0 ? beat(state, now) : { ...state, signal: BEAT };
    case 'withheld':
      return { pending: state.pending.slice(0, -1), signal: null };
    case 'sent':
      return { pending: [...state.pending, now], signal: null };
    case 'ack': {
      const [sentAt, ...rest] = state.pending;
      if (sentAt === undefined) return { ...state, signal: null };
      return { pending: rest, signal: { type: 'ack', latencyMs: now - sentAt } };
    }
  }
};
