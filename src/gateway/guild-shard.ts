/**
 * The shard that receives a guild's events: `(guild_id >> 22) % totalShards`.
 * @see https://discord.com/developers/docs/topics/gateway#sharding
 */
export const guildShard = (guildId: string | bigint, totalShards: number): number =>
  Number((BigInt(guildId) >> 22n) % BigInt(totalShards));
