import type { ShardDispatchEvent } from '../shard/types.js';

/** What a new shard still waits for after its READY. */
interface Waiting {
  readonly guilds: Set<string>;
  readonly readyAt: number;
}

/**
 * Tells a fresh session's start-up from real traffic, for the shards a reshard prepares: READY,
 * then one GUILD_CREATE (or GUILD_DELETE with `unavailable`) per guild READY listed. The bot
 * already has those guilds from its running shards, so `take` swallows them; a shard is
 * `settled` once READY came and every listed guild did, or `timeoutMs` after READY. Pure.
 */
export class StartupGuilds {
  private readonly shards = new Map<number, Waiting>();

  constructor(private readonly timeoutMs: number) {}

  /** True when the event is start-up noise of its shard's session (and is now accounted for). */
  take(event: ShardDispatchEvent, now: number): boolean {
    if (event.t === 'READY') {
      this.shards.set(event.shardId, { guilds: new Set(readyGuildIds(event.d)), readyAt: now });
      return true;
    }
    if (event.t !== 'GUILD_CREATE' && event.t !== 'GUILD_DELETE') return false;
    const waiting = this.shards.get(event.shardId);
    const d = event.d as { id?: unknown; unavailable?: unknown } | null;
    if (waiting === undefined || typeof d?.id !== 'string') return false;
    if (event.t === 'GUILD_DELETE' && d.unavailable !== true) return false; // the bot left: real news
    return waiting.guilds.delete(d.id);
  }

  /** READY came, and every guild it listed, or `timeoutMs` passed since. */
  settled(shardId: number, now: number): boolean {
    const waiting = this.shards.get(shardId);
    return waiting !== undefined && (waiting.guilds.size === 0 || now - waiting.readyAt >= this.timeoutMs);
  }

  /** When the shard's last READY came, if it did. */
  readyAt(shardId: number): number | undefined {
    return this.shards.get(shardId)?.readyAt;
  }

  /** Guilds the shard still waits for (0 before READY). */
  waitingFor(shardId: number): number {
    return this.shards.get(shardId)?.guilds.size ?? 0;
  }
}

const readyGuildIds = (d: unknown): string[] => {
  const guilds = (d as { guilds?: unknown } | null)?.guilds;
  if (!Array.isArray(guilds)) return [];
  return guilds.flatMap((g: unknown) => (typeof (g as { id?: unknown } | null)?.id === 'string' ? [(g as { id: string }).id] : []));
};
