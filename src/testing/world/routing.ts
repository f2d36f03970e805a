/**
 * Which sessions receive an event, by layout, as on Discord during a reshard: a guild's events go
 * to every session that owns the guild under that session's own shard count
 * (`shard_id = (guild_id >> 22) % num_shards`), and guild-less events (DMs) to shard 0 of every
 * shard count. Sessions with different shard counts coexist; each one is a "layout".
 *
 * Pure: no sockets, no clock. `LayoutIndex` is built from a snapshot of sessions and answers
 * "who owns this guild" in O(layouts).
 */

/** What routing needs of a session. */
export interface Routable {
  readonly shardId: number;
  readonly numShards: number;
}

const keys = new Map<string, number>();
/** Guild ids cached at most (the cache is cleared when full; ids are cheap to recompute). */
const KEY_CACHE_LIMIT = 65_536;

/** `guild_id >> 22` as a number (the snowflake's ms since the Discord epoch; < 2^42, exact). */
export const guildKey = (guildId: string): number => {
  let key = keys.get(guildId);
  if (key === undefined) {
    key = Number(BigInt(guildId) >> 22n);
    if (keys.size >= KEY_CACHE_LIMIT) keys.clear();
    keys.set(guildId, key);
  }
  return key;
};

/** Whether `guildId` is a snowflake string routing can use (digits only, at most 20). */
export const isGuildId = (guildId: unknown): guildId is string => typeof guildId === 'string' && /^\d{1,20}$/.test(guildId);

/** Events whose guild is `d.id` rather than `d.guild_id`. */
const GUILD_ITSELF = new Set(['GUILD_CREATE', 'GUILD_UPDATE', 'GUILD_DELETE']);

/** The guild an event belongs to: `d.guild_id`, or `d.id` for GUILD_CREATE/UPDATE/DELETE; undefined for guild-less events. */
export const guildIdOf = (t: string, d: unknown): string | undefined => {
  if (typeof d !== 'object' || d === null) return undefined;
  const id = GUILD_ITSELF.has(t) ? (d as { id?: unknown }).id : (d as { guild_id?: unknown }).guild_id;
  return isGuildId(id) ? id : undefined;
};

/** Whether `session` receives an event of `guildId` (undefined: a guild-less event, which goes to shard 0). */
export const owns = (session: Routable, guildId: string | undefined): boolean =>
  session.shardId === (guildId === undefined ? 0 : guildKey(guildId) % session.numShards);

/** Sessions grouped by shard count, then by shard id. */
export class LayoutIndex<S extends Routable> {
  /** numShards → shardId → sessions (in the order given). */
  private readonly layouts = new Map<number, Map<number, S[]>>();

  constructor(sessions: Iterable<S>) {
    for (const s of sessions) {
      let byShard = this.layouts.get(s.numShards);
      if (byShard === undefined) this.layouts.set(s.numShards, (byShard = new Map()));
      const list = byShard.get(s.shardId);
      if (list === undefined) byShard.set(s.shardId, [s]);
      else list.push(s);
    }
  }

  /** How many distinct shard counts there are. */
  get size(): number {
    return this.layouts.size;
  }

  /** The shard counts present, in first-seen order. */
  get shardCounts(): number[] {
    return [...this.layouts.keys()];
  }

  /**
   * Every session owning `guildId` (undefined: shard 0), in every layout except `exceptNumShards`
   * (the layout an event was already sent to), appended to `out`.
   */
  owners(guildId: string | undefined, exceptNumShards?: number, out: S[] = []): S[] {
    const key = guildId === undefined ? 0 : guildKey(guildId);
    for (const [numShards, byShard] of this.layouts) {
      if (numShards === exceptNumShards) continue;
      const list = byShard.get(key % numShards);
      if (list !== undefined) for (const s of list) out.push(s);
    }
    return out;
  }
}
