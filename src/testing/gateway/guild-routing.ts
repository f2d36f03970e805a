/**
 * Layout-aware delivery on the gateway core: an event of a guild reaches every session that owns
 * the guild under its own shard count, so sessions of two layouts (during a reshard) each get it,
 * with the same `d` text (one template) and each its own `s`. The pure rule is in `routing.ts`.
 */
import type { DispatchTemplate } from '../wire/frames.js';
import type { GatewayCore } from './gateway.js';
import { isGuildId, LayoutIndex, owns } from '../world/routing.js';
import type { Session } from './session.js';
import type { SyntheticGuild } from '../world/world.js';

/** One session an event was given to. */
export interface Delivery {
  readonly sessionId: string;
  readonly shardId: number;
  readonly numShards: number;
  /** The sequence number the event got in that session. */
  readonly s: number;
}

/** Every session of the core (live or resumable), indexed by layout. */
export const layoutIndex = (core: GatewayCore): LayoutIndex<Session> => new LayoutIndex(core.sessions.list());

/**
 * Gives `tpl` to every session owning `guildId` (undefined: shard 0) in every layout; a detached
 * session buffers it for its resume. Returns the deliveries (empty when no session owns the guild).
 * `index`: a snapshot of the sessions taken this turn, if the caller has one.
 */
export const dispatchRouted = (
  core: GatewayCore,
  guildId: string | undefined,
  tpl: DispatchTemplate,
  stamp: number | undefined,
  index: LayoutIndex<Session> = layoutIndex(core),
): Delivery[] => {
  if (guildId !== undefined && !isGuildId(guildId)) throw new RangeError(`emulator: guild id must be a snowflake string, got ${JSON.stringify(guildId)}`);
  return index
    .owners(guildId)
    .map((session) => ({ sessionId: session.id, shardId: session.shardId, numShards: session.numShards, s: core.dispatch(session, tpl, stamp) }));
};

/**
 * After `tpl` was given to `from`: when `from` owns the event (its guild, or shard 0 for a
 * guild-less one), gives it to the owners in every other layout too. An event addressed to a
 * session that does not own it (a test's deliberate choice) stays where it was addressed.
 */
export const fanOut = (core: GatewayCore, index: LayoutIndex<Session>, from: Session, tpl: DispatchTemplate, stamp: number | undefined): void => {
  if (index.size < 2 || !owns(from, tpl.guildId)) return;
  for (const session of index.owners(tpl.guildId, from.numShards)) core.dispatch(session, tpl, stamp);
};

/**
 * Adds `count` guilds to the world (deterministic from the seed) and sends each one's GUILD_CREATE
 * to every session owning it in every layout (sessions with the GUILDS intent, as at Identify).
 */
export const addGuilds = (core: GatewayCore, count: number): readonly SyntheticGuild[] => {
  const added = core.world.add(count);
  const index = layoutIndex(core);
  for (const guild of added) {
    const tpl = core.guildCreate(guild);
    for (const session of index.owners(guild.id)) if ((session.intents & 1) !== 0) core.dispatch(session, tpl, undefined);
  }
  return added;
};
