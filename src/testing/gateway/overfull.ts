/**
 * Discord's limit on a live shard: when guilds join and a shard now holds more than
 * `maxGuildsPerShard`, its connection is closed with 4011 ("sharding required"), as an Identify
 * for that shard would be refused. The bot broke no rule, so no violation is recorded; the close
 * record says what happened, and 4011 ends the session.
 */
import type { GatewayCore } from './gateway.js';
import { shardingRequired } from '../world/sharding.js';

/** Closes 4011 every open connection whose session's shard holds more than `maxGuildsPerShard` guilds; returns how many. */
export const closeOverfullShards = (core: GatewayCore, maxGuildsPerShard: number): number => {
  let closed = 0;
  for (const conn of [...core.connections.values()]) {
    const session = conn.session;
    if (session === undefined || !conn.open) continue;
    const tooMany = shardingRequired(core.world.guildsOf(session.shardId, session.numShards).length, maxGuildsPerShard);
    if (tooMany === undefined) continue;
    conn.close(4011, `shard [${session.shardId}, ${session.numShards}] ${tooMany}`);
    closed++;
  }
  return closed;
};
