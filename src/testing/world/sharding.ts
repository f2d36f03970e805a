/**
 * Discord's sharding rules as pure decisions: when an Identify is refused with 4011 ("sharding
 * required": its shard would hold too many guilds), and how many shards `GET /gateway/bot`
 * recommends for a guild count.
 */

/**
 * Why an Identify must be closed with 4011, or undefined when its shard may hold its guilds:
 * a shard holding more than `maxGuildsPerShard` guilds is refused (Discord's limit is 2500).
 */
export const shardingRequired = (guildsOnShard: number, maxGuildsPerShard: number): string | undefined =>
  guildsOnShard > maxGuildsPerShard ? `would hold ${guildsOnShard} guilds (more than ${maxGuildsPerShard}): use more shards` : undefined;

/**
 * The `shards` of `GET /gateway/bot`: one shard per `guildsPerShard` guilds (Discord aims at about
 * 1000), never fewer than `minimum` (the `shards` option) nor than 1.
 */
export const recommendedShards = (guildCount: number, guildsPerShard: number, minimum: number): number =>
  Math.max(1, minimum, Math.ceil(guildCount / guildsPerShard));
