/**
 * Request Guild Members (op 8): answered with one GUILD_MEMBERS_CHUNK from the synthetic guild's
 * members. A request for all members (`query: ''`, `limit: 0`) is limited to one per guild per
 * 30 s; over it, a RATE_LIMITED dispatch `{ opcode: 8, retry_after, meta: { guild_id, nonce } }`
 * comes back instead, as on Discord.
 */
import {
  GatewayOpcodes,
  type APIUser,
  type GatewayGuildMembersChunkDispatchData,
  type GatewayRateLimitedDispatchData,
} from 'discord-api-types/v10';
import { guildMember } from '../world/payloads.js';
import type { SyntheticGuild } from '../world/world.js';

/** What answers a request: the event name and its payload, or nothing (unknown guild, bad shape). */
export type MembersAnswer =
  | { readonly t: 'GUILD_MEMBERS_CHUNK'; readonly d: GatewayGuildMembersChunkDispatchData }
  | { readonly t: 'RATE_LIMITED'; readonly d: GatewayRateLimitedDispatchData<GatewayOpcodes.RequestGuildMembers> }
  | undefined;

const JOINED_AT = '2022-03-04T05:06:07.000000+00:00';

/** Answers op 8 requests, keeping the per-guild limit for all-member requests. */
export class MemberRequests {
  private readonly lastAllAt = new Map<string, number>();

  constructor(private readonly windowMs = 30_000) {}

  /** The answer to a request `d` from a session whose shard holds `guilds`, at `now` (ms). */
  answer(d: unknown, guilds: readonly SyntheticGuild[], bot: APIUser, now: number): MembersAnswer {
    if (typeof d !== 'object' || d === null) return undefined;
    const req = d as { guild_id?: unknown; query?: unknown; limit?: unknown; user_ids?: unknown; nonce?: unknown };
    const guild = guilds.find((g) => g.id === req.guild_id);
    if (guild === undefined) return undefined;
    const nonce = typeof req.nonce === 'string' ? req.nonce : undefined;
    const ids = typeof req.user_ids === 'string' ? [req.user_ids] : Array.isArray(req.user_ids) ? req.user_ids : undefined;
    const query = typeof req.query === 'string' ? req.query.toLowerCase() : '';
    const limit = typeof req.limit === 'number' && req.limit > 0 ? req.limit : Infinity;
    if (ids === undefined && query === '' && limit === Infinity) {
      const last = this.lastAllAt.get(guild.id);
      if (last !== undefined && now - last < this.windowMs) {
        return {
          t: 'RATE_LIMITED',
          d: { opcode: GatewayOpcodes.RequestGuildMembers, retry_after: (last + this.windowMs - now) / 1000, meta: { guild_id: guild.id, ...(nonce === undefined ? {} : { nonce }) } },
        };
      }
      this.lastAllAt.set(guild.id, now);
    }
    const everyone = [bot, ...guild.members];
    const users = ids !== undefined
      ? everyone.filter((u) => ids.includes(u.id))
      : everyone.filter((u) => u.username.toLowerCase().startsWith(query)).slice(0, limit);
    const notFound = ids === undefined ? [] : ids.filter((id) => !everyone.some((u) => u.id === id));
    return {
      t: 'GUILD_MEMBERS_CHUNK',
      d: {
        guild_id: guild.id,
        members: users.map((u) => guildMember(u, JOINED_AT)),
        chunk_index: 0,
        chunk_count: 1,
        ...(notFound.length === 0 ? {} : { not_found: notFound }),
        ...(nonce === undefined ? {} : { nonce }),
      },
    };
  }
}
