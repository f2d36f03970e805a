/**
 * Synthetic traffic streaming: dispatches from a {@link Mix} to one shard's session or to every
 * session, at a given rate or as fast as the client reads.
 *
 * It never outruns a client: a connection whose socket holds more than `highWaterMark` bytes
 * pauses the stream until it drains, so memory stays bounded. Writes of one event-loop turn are
 * corked into one syscall per connection (see `Connection.send`).
 *
 * A paced stream (`rate`) first builds every event it will cycle over for the sessions there are
 * (and lets their encoders precompress them), so the clock starts on a warm emulator. Then each
 * timer turn (~1 ms: Node's clamp) sends the events due by now, but never more than
 * `MAX_STEP_MS` worth of them: if the emulator falls behind (a pause of its own), it catches up
 * at no more than `MAX_STEP_MS` per ~1 ms turn instead of writing the backlog as one burst.
 * {@link StreamHandle.pacing} says how far behind it fell and the most it sent in one turn.
 *
 * Layout-aware: while sessions of several shard counts coexist (a reshard), each event of a guild
 * is also given to the guild's owner in every other layout (see `fanOut`), with the same `d`.
 */
import type { GatewayCore } from '../gateway/gateway.js';
import { stampNow } from '../wire/frames.js';
import { fanOut, layoutIndex } from '../gateway/guild-routing.js';
import type { Session } from '../gateway/session.js';
import { createTraffic, type EventSource, type Mix } from './traffic.js';

/** Options of `gw.stream`. */
export interface StreamOptions {
  /** Events per second across the target; undefined: as fast as the client reads. */
  readonly rate?: number;
  /** Stop after this many events; undefined: until `stop()` (or the emulator closes). */
  readonly count?: number;
  /** What to send. Default `'realistic'`. */
  readonly mix?: Mix;
  /** Add `d.emulator_ts` (ms, `performance.timeOrigin + performance.now()` at send time) to each event. Default false. */
  readonly stamp?: boolean;
  /** Seed of this stream's events. Default: the emulator's seed. */
  readonly seed?: number;
  /** Precomputed events per shard for the built-in mixes. Default 4096. */
  readonly poolSize?: number;
  /** With `rate`: keep every turn's `[at, lagMs, events]` in `pacing.turns` (at: `performance.timeOrigin + performance.now()`). Default false. */
  readonly recordTurns?: boolean;
}

/** How a paced stream kept to its rate. */
export interface StreamPacing {
  /** Timer turns that sent something. */
  readonly turns: number;
  /** Most events sent in one turn. */
  readonly maxPerTurn: number;
  /** Most the stream was behind its schedule at the start of a turn, ms. */
  readonly maxLagMs: number;
  /** `performance.now()` of the first and the last event. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** With `recordTurns`: `[at, lagMs, events]` of each turn, flattened. */
  readonly turnLog?: readonly number[];
}

/** A running stream. */
export interface StreamHandle {
  /** Resolves when the stream ends (count reached, `stop()`, or the emulator closed). */
  readonly done: Promise<{ readonly sent: number }>;
  /** Events sent so far. */
  readonly sent: number;
  /** With `rate`: how the stream kept to it (so far). */
  readonly pacing: StreamPacing;
  /** Ends the stream; `done` resolves. */
  stop(): void;
}

/** Most events written in one event-loop turn of an unpaced stream. */
const BATCH = 256;
/** A paced stream's turn sends at most this many ms worth of events (so it catches up at ≤ 2× its rate per ~1 ms turn). */
const MAX_STEP_MS = 2;
/** How often a stream with no session to send to looks again, ms. */
const IDLE_POLL_MS = 5;

/** Starts a stream on the core; `onEnd` is called once when it ends. */
export const startStream = (
  core: GatewayCore,
  target: number | 'all',
  options: StreamOptions,
  defaults: { seed: number; highWaterMark: number },
  onEnd: (handle: StreamHandle) => void,
): StreamHandle => {
  const { rate, count, stamp = false } = options;
  if (rate !== undefined && !(rate > 0)) throw new RangeError(`stream rate must be > 0, got ${rate}`);
  const traffic = createTraffic(core.world, options.mix ?? 'realistic', options.seed ?? defaults.seed, options.poolSize);
  const sources = new WeakMap<Session, EventSource>();
  let started = performance.now();
  const maxStep = rate === undefined ? BATCH : Math.max(1, Math.ceil((rate * MAX_STEP_MS) / 1000));
  const turnLog: number[] | undefined = options.recordTurns === true && rate !== undefined ? [] : undefined;
  let turns = 0;
  let maxPerTurn = 0;
  let maxLagMs = 0;
  let firstAt = Number.NaN;
  let lastAt = Number.NaN;
  let prepared = rate === undefined;
  let sent = 0;
  let turn = 0;
  let ended = false;
  let timeout: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let resolveDone: (result: { sent: number }) => void = () => {};
  const done = new Promise<{ sent: number }>((resolve) => (resolveDone = resolve));

  const end = (): void => {
    if (ended) return;
    ended = true;
    if (timeout !== undefined) clearTimeout(timeout);
    if (immediate !== undefined) clearImmediate(immediate);
    resolveDone({ sent });
    onEnd(handle);
  };

  const sourceOf = (session: Session): EventSource => {
    let source = sources.get(session);
    if (source === undefined) {
      source = traffic.forShard(session.shardId, session.numShards);
      sources.set(session, source);
    }
    return source;
  };

  const schedule = (delayMs: number): void => {
    if (ended) return;
    if (delayMs <= 0) immediate = setImmediate(pump);
    else timeout = setTimeout(pump, delayMs);
  };

  /** Builds the events of `sessions` and precompresses them, before a paced stream's clock starts. */
  const prepare = (sessions: readonly Session[]): void => {
    for (const session of sessions) {
      sourceOf(session);
      const conn = core.liveConnection(session);
      for (const tpl of traffic.prepare(session.shardId, session.numShards)) conn?.prepareDispatch(tpl, stamp);
    }
  };

  function pump(): void {
    timeout = undefined;
    immediate = undefined;
    if (ended) return;
    const sessions = target === 'all' ? core.sessions.list() : [core.sessions.newestOf(target)].filter((s) => s !== undefined);
    if (sessions.length === 0) return schedule(IDLE_POLL_MS);
    // Several layouts (a reshard): events also go to their guild's owners in the other layouts.
    const layouts = layoutIndex(core);
    const multi = layouts.size > 1;
    if (multi) {
      const full = core.sessions.list().map((s) => core.liveConnection(s)).find((c) => c !== undefined && c.bufferedBytes > defaults.highWaterMark);
      if (full !== undefined) {
        void full.whenWritable().then(() => schedule(0));
        return;
      }
    }
    if (!prepared) {
      prepared = true;
      prepare(sessions);
      started = performance.now();
    }
    const now = performance.now();
    const due = rate === undefined ? BATCH : Math.floor(((now - started) * rate) / 1000) + 1 - sent;
    let allowance = Math.min(due, maxStep);
    if (count !== undefined) allowance = Math.min(allowance, count - sent);
    if (rate !== undefined && allowance > 0) {
      const lagMs = now - (started + (sent * 1000) / rate);
      turns++;
      if (lagMs > maxLagMs) maxLagMs = lagMs;
      if (allowance > maxPerTurn) maxPerTurn = allowance;
      if (Number.isNaN(firstAt)) firstAt = now;
      turnLog?.push(performance.timeOrigin + now, lagMs, allowance);
    }
    for (let i = 0; i < allowance; i++) {
      const session = sessions[turn++ % sessions.length] as Session;
      const conn = core.liveConnection(session);
      if (conn !== undefined && conn.bufferedBytes > defaults.highWaterMark) {
        void conn.whenWritable().then(() => schedule(0));
        return;
      }
      const tpl = sourceOf(session)();
      const at = stamp ? stampNow() : undefined;
      core.dispatch(session, tpl, at);
      if (multi) fanOut(core, layouts, session, tpl, at);
      sent++;
    }
    if (allowance > 0) lastAt = performance.now();
    if (count !== undefined && sent >= count) return end();
    if (rate === undefined) return schedule(0);
    // Behind schedule: the next ~1 ms timer turn (not an immediate), so catching up stays paced.
    schedule(Math.max(1, started + ((sent + 1) * 1000) / rate - performance.now()));
  }

  const handle: StreamHandle = {
    done,
    get sent() {
      return sent;
    },
    get pacing() {
      return { turns, maxPerTurn, maxLagMs, firstAt, lastAt, ...(turnLog !== undefined ? { turnLog } : {}) };
    },
    stop: end,
  };
  if (count === 0) queueMicrotask(end);
  else schedule(0);
  return handle;
};
