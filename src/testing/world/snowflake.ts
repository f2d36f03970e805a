/**
 * Snowflake ids as Discord makes them (ms since the Discord epoch in the top 42 bits), and the
 * shard a guild belongs to: `(guild_id >> 22) % num_shards`.
 */

/** 2015-01-01T00:00:00Z, the Discord epoch, in ms. */
export const DISCORD_EPOCH = 1_420_070_400_000;

/** Builds a snowflake string from a Unix time in ms and a 12-bit increment. */
export const snowflake = (unixMs: number, increment = 0): string =>
  ((BigInt(Math.floor(unixMs - DISCORD_EPOCH)) << 22n) | BigInt(increment & 0xfff)).toString();

/** The Unix time in ms a snowflake was made at. */
export const snowflakeTime = (id: string): number => Number(BigInt(id) >> 22n) + DISCORD_EPOCH;

/** The shard that receives a guild's events: `(guild_id >> 22) % numShards`. */
export const shardOf = (guildId: string, numShards: number): number =>
  Number((BigInt(guildId) >> 22n) % BigInt(numShards));

/**
 * The synthetic world's guilds are made one ms apart from this offset (about 2021), which is a
 * multiple of 2^22·3²·5·7·11·13: so guild `i` lands on shard `i % n` for every shard count `n`
 * dividing that number (1–16, 18, 20, 22, 24, 26, 28, 30, 32, …, and every power of two up to 2^22).
 */
export const GUILD_EPOCH_OFFSET_MS = 720_720 * 1024 * 256;
