/**
 * Synthetic dispatch traffic: deterministic (seeded) event mixes, precomputed as frame templates.
 *
 * Built-in mixes fill a pool of `poolSize` templates per shard the first time through and then
 * cycle over it, so streaming costs no `JSON.stringify`: ids are unique within a pool and repeat
 * every `poolSize` events. Custom entries with a function `d` are serialized per event.
 */
import type { APIUser } from 'discord-api-types/v10';
import { template, type DispatchTemplate } from '../wire/frames.js';
import { guildCreatePayload, messageCreatePayload, presenceUpdatePayload, typingStartPayload } from '../world/payloads.js';
import { createRng, type Rng } from '../world/rng.js';
import { snowflake } from '../world/snowflake.js';
import type { SyntheticGuild, World } from '../world/world.js';

/** What a custom mix entry's `d` function gets. */
export interface MixContext {
  /** A guild of the target shard, or undefined when the shard has none. */
  readonly guild: SyntheticGuild | undefined;
  /** How many events this traffic source made before this one. */
  readonly index: number;
  /** The source's seeded generator. */
  readonly rng: Rng;
}

/** One kind of event in a custom mix. */
export interface MixEntry {
  /** The dispatch event name. */
  readonly t: string;
  /** Relative frequency. Default 1. */
  readonly weight?: number;
  /** The payload, or a function making one per event. */
  readonly d: unknown;
}

/**
 * `'realistic'`: 50% MESSAGE_CREATE, 30% TYPING_START, 19.5% PRESENCE_UPDATE, 0.5% GUILD_CREATE
 * of 100 KiB+. `'messages'`: only MESSAGE_CREATE. Or a custom list.
 */
export type Mix = 'realistic' | 'messages' | readonly MixEntry[];

/** Makes the next event for a shard. */
export type EventSource = () => DispatchTemplate;

/** A seeded generator of events for any shard. */
export interface Traffic {
  /** The event source for `shardId` of `numShards` (one per shard, cached). */
  forShard(shardId: number, numShards: number): EventSource;
  /**
   * Fills the pool of `shardId`'s source at once and returns its templates (built-in mixes;
   * empty for a custom mix). The source then yields the same events as it would have without.
   */
  prepare(shardId: number, numShards: number): readonly DispatchTemplate[];
}

type Kind = 'message' | 'typing' | 'presence' | 'guild';
const REALISTIC: readonly (readonly [Kind, number])[] = [['message', 0.5], ['typing', 0.3], ['presence', 0.195], ['guild', 0.005]];

/** Start of the synthetic traffic clock (2023-11-14). */
const CLOCK_START = 1_700_000_000_000;

/** Creates a traffic generator. */
export const createTraffic = (world: World, mix: Mix, seed: number, poolSize = 4096): Traffic => {
  const rng = createRng(seed);
  const bigGuilds = new Map<string, DispatchTemplate>();
  let clock = CLOCK_START;
  let counter = 0;

  const pickKind = (): Kind => {
    if (mix === 'messages') return 'message';
    let r = rng.next();
    for (const [kind, weight] of REALISTIC) {
      if (r < weight) return kind;
      r -= weight;
    }
    return 'message';
  };

  const builtIn = (guilds: readonly SyntheticGuild[]): DispatchTemplate => {
    clock += 1 + rng.int(40);
    counter++;
    const guild = guilds.length === 0 ? undefined : rng.pick(guilds);
    const author: APIUser = guild === undefined ? rng.pick(world.users) : rng.pick(guild.members);
    const channelId = guild === undefined ? snowflake(clock - 86_400_000, author.id.length) : rng.pick(guild.textChannelIds);
    let kind = pickKind();
    if (guild === undefined && (kind === 'guild' || kind === 'presence')) kind = 'message';
    if (kind === 'guild' && guild !== undefined) {
      let tpl = bigGuilds.get(guild.id);
      if (tpl === undefined) {
        tpl = template('GUILD_CREATE', guildCreatePayload(world, guild, true));
        bigGuilds.set(guild.id, tpl);
      }
      return tpl;
    }
    if (kind === 'presence' && guild !== undefined) return template('PRESENCE_UPDATE', presenceUpdatePayload(guild, author, rng));
    if (kind === 'typing') return template('TYPING_START', typingStartPayload(guild, author, channelId, Math.floor(clock / 1000)));
    const timestamp = new Date(clock).toISOString().replace('Z', '000+00:00');
    return template('MESSAGE_CREATE', messageCreatePayload(guild, author, snowflake(clock, counter), channelId, timestamp, rng));
  };

  const custom = (entries: readonly MixEntry[]) => {
    const total = entries.reduce((sum, e) => sum + (e.weight ?? 1), 0);
    const statics = entries.map((e) => (typeof e.d === 'function' ? undefined : template(e.t, e.d)));
    return (guilds: readonly SyntheticGuild[]): DispatchTemplate => {
      let r = rng.next() * total;
      let i = 0;
      for (; i < entries.length - 1; i++) {
        r -= entries[i]?.weight ?? 1;
        if (r < 0) break;
      }
      const entry = entries[i];
      if (entry === undefined) throw new RangeError('a custom mix needs at least one entry');
      const fixed = statics[i];
      if (fixed !== undefined) return fixed;
      const guild = guilds.length === 0 ? undefined : rng.pick(guilds);
      const make = entry.d as (ctx: MixContext) => unknown;
      return template(entry.t, make({ guild, index: counter++, rng }));
    };
  };

  const sources = new Map<string, EventSource>();
  const pools = new Map<string, { pool: DispatchTemplate[]; fill: () => void }>();
  const forShard = (shardId: number, numShards: number): EventSource => {
    const key = `${shardId}/${numShards}`;
    const existing = sources.get(key);
    if (existing !== undefined) return existing;
    const guilds = world.guildsOf(shardId, numShards);
    let source: EventSource;
    if (typeof mix === 'string') {
      const pool: DispatchTemplate[] = [];
      let cursor = 0;
      const fill = (): void => {
        while (pool.length < poolSize) pool.push(builtIn(guilds));
      };
      pools.set(key, { pool, fill });
      source = () => {
        if (pool.length < poolSize) {
          const tpl = builtIn(guilds);
          pool.push(tpl);
          return tpl;
        }
        const tpl = pool[cursor] as DispatchTemplate;
        cursor = (cursor + 1) % pool.length;
        return tpl;
      };
    } else {
      const next = custom(mix);
      source = () => next(guilds);
    }
    sources.set(key, source);
    return source;
  };
  const prepare = (shardId: number, numShards: number): readonly DispatchTemplate[] => {
    forShard(shardId, numShards);
    const entry = pools.get(`${shardId}/${numShards}`);
    if (entry === undefined) return [];
    entry.fill();
    return entry.pool;
  };
  return { forShard, prepare };
};
