/**
 * The identify loop guard, as pure functions over plain data: whatever makes a shard identify
 * again and again without its sessions ever staying ready (a message it cannot read, a gateway
 * that drops it after READY, a bug), the shard stops spending identifies at that pace.
 *
 * An identify *holds* when one of the connections of its session (the READY one, or a resumed
 * one) stays ready for `holdMs` in one stretch; otherwise it is *unheld* (a session whose READY
 * connection died at once and whose resumes all failed is unheld, however long that took). Before each identify but the first, the guard looks at the
 * unheld identifies started within the last `windowMs`: with `maxUnheld` of them, the identify
 * waits `pauseMs.initial`. From then on (a streak) every identify that fails to hold is followed
 * by a pause, doubling each time up to `pauseMs.max`; only an identify that holds ends the streak.
 *
 * What it guarantees, for any sequence of connection ends (test/properties/identify-loop-guard):
 * an identify starts without a pause only with fewer than `maxUnheld` unheld identifies in the
 * window before it, and one that follows a pause waited `pauseMs.initial` at least, so any
 * `windowMs` holds at most `maxUnheld + floor(windowMs / pauseMs.initial) + 1` unheld identifies
 * and `floor(windowMs / holdMs) + 1` held ones. With the defaults that is at most 13 in 5
 * minutes, and a shard that never holds spends 3 in its first minutes, then one per pause: after
 * 2, 4, 8, then every 15 minutes.
 */
import type { IdentifyLoopConfig } from './types.js';

/**
 * The defaults for a shard whose reconnect backoff tops out at `backoffMaxMs`: 3 unheld
 * identifies within 5 of those (a minute at least: a turn of a loop also spends time connecting
 * and queueing, which no backoff setting shortens), held meaning ready for one in one stretch,
 * pauses from 2 to 15 of them. With the default backoff (60 s) that is 3 in 5 minutes, a minute,
 * 2 to 15 minutes; a shard given a faster backoff (tests, emulators) gets shorter pauses.
 */
export const identifyLoopDefaults = (backoffMaxMs: number): IdentifyLoopConfig => ({
  maxUnheld: 3,
  windowMs: Math.max(5 * backoffMaxMs, 60_000),
  holdMs: backoffMaxMs,
  pauseMs: { initial: 2 * backoffMaxMs, max: 15 * backoffMaxMs },
});

/** The defaults with the default backoff: 3 unheld identifies in 5 minutes, held meaning READY for a minute, pauses from 2 to 15 minutes. */
export const IDENTIFY_LOOP_DEFAULTS: IdentifyLoopConfig = identifyLoopDefaults(60_000);

/** What the guard remembers of one shard's identifies. */
export interface IdentifyLoopState {
  /** Start times, oldest first, of recent identifies that did not hold. */
  readonly unheld: readonly number[];
  /**
   * The last identify: when it started, since when its session's connection is ready (null when
   * none is), and whether one of them already stayed ready for `holdMs`.
   */
  readonly current: { readonly at: number; readonly readyAt: number | null; readonly held: boolean } | null;
  /** Pauses in a row since an identify last held. */
  readonly pauses: number;
}

/** The guard's verdict before an identify: how long to wait, and the loop it saw, if any. */
export interface IdentifyLoopVerdict {
  readonly state: IdentifyLoopState;
  readonly waitMs: number;
  /** Set when the guard pauses: the unheld identifies it counted in the window. */
  readonly loop: { readonly identifies: number; readonly windowMs: number } | null;
}

/** A shard that has not identified yet. */
export const initialLoopState: IdentifyLoopState = { unheld: [], current: null, pauses: 0 };

/** The shard sent (or is about to send) an identify at `now`. */
export const identifyStarted = (state: IdentifyLoopState, now: number, config: IdentifyLoopConfig): IdentifyLoopState => ({
  ...settle(state, now, config),
  current: { at: now, readyAt: null, held: false },
});

/** A connection of the last identify's session became ready (READY or RESUMED) at `now`. */
export const readyReached = (state: IdentifyLoopState, now: number): IdentifyLoopState =>
  state.current === null || state.current.readyAt !== null ? state : { ...state, current: { ...state.current, readyAt: now } };

/** The shard's connection ended at `now`: a ready stretch of `holdMs` or more makes the identify held. */
export const connectionEnded = (state: IdentifyLoopState, now: number, config: IdentifyLoopConfig): IdentifyLoopState => {
  const { current } = state;
  if (current === null || current.readyAt === null) return state;
  return { ...state, current: { at: current.at, readyAt: null, held: current.held || now - current.readyAt >= config.holdMs } };
};

/** The shard is going to identify again: the last identify is judged, and the next is told how long to wait. */
export const beforeIdentify = (state: IdentifyLoopState, now: number, config: IdentifyLoopConfig): IdentifyLoopVerdict => {
  const settled = settle(state, now, config);
  const lastUnheld = settled.unheld.length > state.unheld.length;
  const unheld = settled.unheld.filter((at) => at > now - config.windowMs);
  const full = unheld.length >= config.maxUnheld;
  // in a streak (paused since an identify last held), every identify that fails to hold pauses again
  if (!full && !(settled.pauses > 0 && lastUnheld)) return { state: { ...settled, unheld }, waitMs: 0, loop: null };
  const waitMs = Math.min(config.pauseMs.max, config.pauseMs.initial * 2 ** Math.min(settled.pauses, 30));
  return { state: { ...settled, unheld, pauses: settled.pauses + 1 }, waitMs, loop: { identifies: unheld.length, windowMs: config.windowMs } };
};

/** Closes the last identify: held (READY for `holdMs` by `now`) ends the pause streak; unheld joins the list. */
const settle = (state: IdentifyLoopState, now: number, config: IdentifyLoopConfig): IdentifyLoopState => {
  const { current } = state;
  if (current === null) return state;
  const held = current.held || (current.readyAt !== null && now - current.readyAt >= config.holdMs);
  return held ? { unheld: state.unheld, current: null, pauses: 0 } : { unheld: [...state.unheld, current.at], current: null, pauses: state.pauses };
};
