/**
 * A startup storm written as a gateway writes it: every GUILD_CREATE of every live shard handed
 * to its socket in one go, with no pacing and no yielding, so TCP alone decides how fast the
 * client gets them and the heartbeat ACKs queue behind megabytes of guilds.
 *
 * Preparing is apart from writing: the guilds are rendered (and, with `zlibMode:
 * 'precompressed'`, compressed) first, a guild per turn, so the write itself costs the emulator
 * little and no socket falls silent while the emulator renders: a gateway that stops answering
 * heartbeats for seconds is a zombie, rightly, to a client with a short interval. With the default per-connection
 * context the deflate happens as each frame is written (Discord's own cost, seconds for a big
 * storm), which is part of what the client sees.
 */
import { template, type DispatchTemplate } from '../wire/frames.js';
import type { GatewayCore } from './gateway.js';

/** What a storm sends. */
export interface StormOptions {
  /** GUILD_CREATEs per shard. */
  readonly guilds: number;
  /** Approximate size of each GUILD_CREATE's `d`, in KiB (members make up the size). */
  readonly kib: number;
  /** The shards to storm (default: every shard with a live session when written). */
  readonly shardIds?: readonly number[];
}

/** A prepared storm: `write()` hands every frame to the sockets at once and returns how many. */
export interface Storm {
  /** Frames per shard. */
  readonly guilds: number;
  /**
   * Writes the whole storm, unpaced, to every targeted shard with a live connection: each shard's
   * frames handed to its socket in one go (never waiting for the client to read), the emulator's
   * loop turning between shards so it keeps reading heartbeats. Resolves with the frames sent.
   */
  write(): Promise<number>;
}

/** ~67 characters of JSON per member as rendered below. */
const MEMBER_CHARS = 67;

/** One guild's `d` of about `kib` KiB, distinct per `n` (nothing about it is cheap to read). */
export const stormGuild = (n: number, kib: number): Record<string, unknown> => {
  const id = String(1_000_000 + n);
  const members = Math.max(1, Math.round((kib * 1024) / MEMBER_CHARS));
  return {
    id,
    name: `storm guild ${id}`,
    large: true,
    member_count: members,
    members: Array.from({ length: members }, (_, i) => ({ user: { id: `${id}${i}`, username: `m${i}-${id}` }, roles: [] })),
  };
};

/**
 * Renders `options.guilds` GUILD_CREATE templates (shared by every shard: what a client pays to
 * read one does not depend on which shard got it) and lets each live connection's encoder
 * prepare them, one guild per event-loop turn so the emulator keeps answering heartbeats
 * meanwhile; `write()` later sends them all at once.
 */
export const prepareStorm = async (core: GatewayCore, options: StormOptions): Promise<Storm> => {
  if (!Number.isInteger(options.guilds) || options.guilds < 0) throw new RangeError(`storm guilds must be a whole number ≥ 0, got ${options.guilds}`);
  if (!(options.kib > 0)) throw new RangeError(`storm kib must be > 0, got ${options.kib}`);
  const templates: DispatchTemplate[] = [];
  for (let n = 0; n < options.guilds; n++) {
    const tpl = template('GUILD_CREATE', stormGuild(n, options.kib));
    for (const conn of core.connections.values()) conn.prepareDispatch(tpl, false);
    templates.push(tpl);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    guilds: options.guilds,
    write: async () => {
      let sent = 0;
      const targets = options.shardIds ?? [...new Set(core.sessions.list().filter((s) => core.liveConnection(s) !== undefined).map((s) => s.shardId))];
      for (const shardId of targets) {
        const session = core.sessions.newestOf(shardId);
        if (session === undefined || core.liveConnection(session) === undefined) continue;
        for (const tpl of templates) {
          core.dispatch(session, tpl);
          sent++;
        }
        // this shard's frames go to its socket now (the connection uncorks on the next tick); the
        // emulator's loop turns before the next shard's, as a gateway's connections run side by side
        await new Promise((resolve) => setImmediate(resolve));
      }
      return sent;
    },
  };
};
