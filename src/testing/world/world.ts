/**
 * The synthetic world the emulator serves: the bot user, a pool of users, and guilds with
 * channels. Everything derives from the seed, so two emulators with one seed agree on every id.
 */
import type { APIUser, UserFlags } from 'discord-api-types/v10';
import { createRng, type Rng } from './rng.js';
import { DISCORD_EPOCH, GUILD_EPOCH_OFFSET_MS, shardOf, snowflake } from './snowflake.js';

/** One synthetic guild: enough to build GUILD_CREATE and traffic for it. */
export interface SyntheticGuild {
  /** Position in the world, 0-based; guild `i` is on shard `i % n` for usual shard counts. */
  readonly index: number;
  readonly id: string;
  readonly name: string;
  /** Text channels first (at least two), then one voice channel. */
  readonly textChannelIds: readonly string[];
  readonly voiceChannelId: string;
  readonly ownerId: string;
  readonly memberCount: number;
  /** Users that speak in this guild (a window of the user pool). */
  readonly members: readonly APIUser[];
}

/** The whole synthetic world. */
export interface World {
  readonly bot: APIUser;
  readonly applicationId: string;
  readonly guilds: readonly SyntheticGuild[];
  readonly users: readonly APIUser[];
  /**
   * The guilds routed to `shardId` of `numShards` (cached; the returned list grows in place when
   * guilds are added).
   */
  guildsOf(shardId: number, numShards: number): readonly SyntheticGuild[];
  /** A guild of the world by id. */
  guildById(id: string): SyntheticGuild | undefined;
  /**
   * Adds `count` guilds after the existing ones (indexes continue, so guild `i` is still on shard
   * `i % n`) and returns them. Deterministic from the seed: `add(3)` then `add(2)` makes the same
   * guilds as `add(5)`.
   */
  add(count: number): readonly SyntheticGuild[];
}

const ADJECTIVES = ['Cozy', 'Rusty', 'Quiet', 'Neon', 'Lucky', 'Sleepy', 'Brave', 'Salty', 'Golden', 'Pixel', 'Cosmic', 'Tiny'];
const NOUNS = ['Otter', 'Falcon', 'Lantern', 'Harbor', 'Tavern', 'Garden', 'Station', 'Guild', 'Circle', 'Hideout', 'Lounge', 'Forge'];
const SUFFIXES = ['Club', 'Community', 'Hub', 'Crew', 'HQ', 'Society', 'Corner', 'Collective'];

/** Users in the shared pool; each guild's speakers are a window of it. */
const USER_POOL = 512;
/** Speakers per guild. */
const MEMBERS_PER_GUILD = 48;

/** A 32-digit hex string, like Discord's avatar and icon hashes. */
export const hexHash = (rng: Rng): string =>
  Array.from({ length: 32 }, () => '0123456789abcdef'[rng.int(16)]).join('');

const makeUser = (i: number, rng: Rng): APIUser => {
  const adjective = rng.pick(ADJECTIVES).toLowerCase();
  const noun = rng.pick(NOUNS).toLowerCase();
  return {
    id: snowflake(DISCORD_EPOCH + 30_000_000_000 + i * 97_000_003, i),
    username: `${adjective}_${noun}${i}`,
    discriminator: '0',
    global_name: `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`,
    avatar: rng.next() < 0.7 ? hexHash(rng) : null,
  };
};

/** Builds the world for `guildCount` guilds from a seed. */
export const createWorld = (guildCount: number, seed: number): World => {
  const rng = createRng(seed);
  const users = Array.from({ length: USER_POOL }, (_, i) => makeUser(i, rng));
  const botId = snowflake(DISCORD_EPOCH + 150_000_000_000, 1);
  const bot: APIUser = {
    id: botId,
    username: 'Emulator Bot',
    discriminator: '0',
    global_name: null,
    avatar: null,
    bot: true,
    flags: 0 as UserFlags,
  };
  const makeGuild = (index: number, r: Rng): SyntheticGuild => {
    const createdAt = DISCORD_EPOCH + GUILD_EPOCH_OFFSET_MS + index;
    const textChannels = 2 + r.int(4);
    const members = Array.from({ length: MEMBERS_PER_GUILD }, (_, k) => users[(index * 7 + k) % USER_POOL] as APIUser);
    return {
      index,
      id: snowflake(createdAt, 0),
      name: `${r.pick(ADJECTIVES)} ${r.pick(NOUNS)} ${r.pick(SUFFIXES)}`,
      textChannelIds: Array.from({ length: textChannels }, (_, k) => snowflake(createdAt, 1 + k)),
      voiceChannelId: snowflake(createdAt, 100),
      ownerId: members[0]?.id ?? botId,
      memberCount: 50 + r.int(20_000),
      members,
    };
  };
  const guilds = Array.from({ length: guildCount }, (_, index) => makeGuild(index, rng));
  const byId = new Map(guilds.map((g) => [g.id, g]));
  const byShard = new Map<string, SyntheticGuild[]>();
  const guildsOf = (shardId: number, numShards: number): readonly SyntheticGuild[] => {
    const key = `${shardId}/${numShards}`;
    let list = byShard.get(key);
    if (list === undefined) {
      list = guilds.filter((g) => shardOf(g.id, numShards) === shardId);
      byShard.set(key, list);
    }
    return list;
  };
  // Guilds added at run time draw from a stream of their own, so the first ones never change.
  const addRng = createRng((seed ^ 0x2545f491) >>> 0);
  const add = (count: number): readonly SyntheticGuild[] => {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`addGuilds: count must be an integer >= 0, got ${count}`);
    const added: SyntheticGuild[] = [];
    for (let k = 0; k < count; k++) {
      const g = makeGuild(guilds.length, addRng);
      guilds.push(g);
      byId.set(g.id, g);
      added.push(g);
    }
    for (const [key, list] of byShard) {
      const [shardId, numShards] = key.split('/').map(Number) as [number, number];
      for (const g of added) if (shardOf(g.id, numShards) === shardId) list.push(g);
    }
    return added;
  };
  return { bot, applicationId: botId, guilds, users, guildsOf, guildById: (id) => byId.get(id), add };
};
