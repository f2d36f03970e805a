/**
 * Synthetic traffic streaming: dispatches from a {@link Mix} to one shard's session or to every
 * session, at a given rate or as fast as the client reads.
 *
 * It never outruns a client: a connection whose socket holds more than `highWaterMark` bytes
 * pauses the stream until it drains, so memory stays bounded. Writes of one event-loop turn are
 * corked into one syscall per connection (see `Connection.send`).
 */
import type { GatewayCore } from './gateway.js';
import { stampNow } from './frames.js';
import type { Session } from './session.js';
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
}

/** A running stream. */
export interface StreamHandle {
  /** Resolves when the stream ends (count reached, `stop()`, or the emulator closed). */
  readonly done: Promise<{ readonly sent: number }>;
  /** Events sent so far. */
  readonly sent: number;
  /** Ends the stream; `done` resolves. */
  stop(): void;
}

/** Most events written in one event-loop turn. */
const BATCH = 256;
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
  const started = performance.now();
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

  function pump(): void {
    timeout = undefined;
    immediate = undefined;
    if (ended) return;
    const sessions = target === 'all' ? core.sessions.list() : [core.sessions.newestOf(target)].filter((s) => s !== undefined);
    if (sessions.length === 0) return schedule(IDLE_POLL_MS);
    const now = performance.now();
    let allowance = rate === undefined ? BATCH : Math.min(BATCH * 4, Math.floor(((now - started) * rate) / 1000) + 1 - sent);
    if (count !== undefined) allowance = Math.min(allowance, count - sent);
    for (let i = 0; i < allowance; i++) {
      const session = sessions[turn++ % sessions.length] as Session;
      const conn = core.liveConnection(session);
      if (conn !== undefined && conn.bufferedBytes > defaults.highWaterMark) {
        void conn.whenWritable().then(() => schedule(0));
        return;
      }
      core.dispatch(session, sourceOf(session)(), stamp ? stampNow() : undefined);
      sent++;
    }
    if (count !== undefined && sent >= count) return end();
    if (rate === undefined) return schedule(0);
    schedule(started + ((sent + 1) * 1000) / rate - performance.now());
  }

  const handle: StreamHandle = {
    done,
    get sent() {
      return sent;
    },
    stop: end,
  };
  if (count === 0) queueMicrotask(end);
  else schedule(0);
  return handle;
};
