import type { ShardDispatchEvent } from '../shard/types.js';
import { guildShard } from '../gateway/guild-shard.js';

const SNOWFLAKE = /^\d{1,20}$/;
/** Dispatches whose `d.id` is the guild's own id. */
const GUILD_ITSELF = new Set(['GUILD_CREATE', 'GUILD_UPDATE', 'GUILD_DELETE']);

/**
 * The shard of a layout of `totalShards` that Discord sends this dispatch to: its guild's shard
 * (`d.guild_id`, or `d.id` for GUILD_CREATE/UPDATE/DELETE), or shard 0 for an event without a
 * guild. Undefined when `d` does not say (the caller must then assume any shard). Pure.
 */
export const eventShard = (event: Pick<ShardDispatchEvent, 't' | 'd'>, totalShards: number): number | undefined => {
  const d = event.d;
  if (typeof d !== 'object' || d === null) return undefined;
  const guildId = GUILD_ITSELF.has(event.t) ? (d as { id?: unknown }).id : (d as { guild_id?: unknown }).guild_id;
  if (guildId === undefined) return 0;
  return typeof guildId === 'string' && SNOWFLAKE.test(guildId) ? guildShard(guildId, totalShards) : undefined;
};
