import type { ShardFatalKind } from '../shard/types.js';

/**
 * How a shard reconnects: resuming its session, identifying anew, or after a connection the
 * gateway never answered (`unreachable`: it ended before Hello, so nothing was resumed or identified).
 */
export type ReconnectKind = 'resume' | 'identify' | 'unreachable';

/** Every fatal kind a shard reports; another value (from a newer peer) is counted as `other`. */
export const FATAL_KINDS: readonly ShardFatalKind[] = ['auth', 'sharding', 'version', 'intents', 'identify-budget', 'unreadable', 'internal'];

/** The counters of one shard. */
export interface ShardLifecycleCounts {
  readonly shardId: number;
  readonly reconnects: Readonly<Record<ReconnectKind, number>>;
  readonly sessionsLost: number;
  /** Fatal events by kind (kinds never seen are absent). */
  readonly fatal: Readonly<Record<string, number>>;
  /** Messages the shard could not read and skipped (`message-dropped`), by reason (reasons never seen are absent). */
  readonly messagesDropped: Readonly<Record<string, number>>;
  /** Pauses of the identify loop guard (`identify-loop`). */
  readonly identifyLoopPauses: number;
}

/** A lifecycle event as far as counting goes: anything with a `type` (unknown types are ignored). */
export interface CountedEvent {
  readonly type: string;
  readonly shardId?: number;
  readonly status?: string;
  readonly session?: unknown;
  readonly kind?: string;
  readonly reason?: string;
}

class ShardCounts {
  resume = 0;
  identify = 0;
  unreachable = 0;
  /** An `unreachable` event came: the next reconnect is of that kind. */
  afterUnreachable = false;
  sessionsLost = 0;
  readonly fatal = new Map<string, number>();
  readonly dropped = new Map<string, number>();
  identifyLoopPauses = 0;
  /** The shard holds a session (so its next reconnect resumes). */
  hasSession = false;

  constructor(readonly shardId: number) {}
}

const KNOWN_FATAL: ReadonlySet<string> = new Set(FATAL_KINDS);
/** Why a message is dropped (`UnreadableReason`); another value is counted as `other`. */
const DROP_REASONS: ReadonlySet<string> = new Set(['too-large', 'invalid-json', 'invalid-frame']);

/**
 * Reconnects, lost sessions, fatal stops, dropped messages and identify loop pauses counted per
 * shard from a cluster's lifecycle events.
 *
 * A reconnect is counted when a shard reports `reconnecting`; its kind is what the shard does
 * next: `resume` when it still holds a session (its last `session` event carried one, or it was
 * `resuming`), else `identify` (a shard drops its session, with a `session` event of `null`,
 * before it reports a reconnect that will identify); `unreachable` when the connection ended
 * before Hello (the shard's `unreachable` event comes just before its `reconnecting`). Events of types it does not know (such as
 * a future `reshard`) and events without a valid shard id are ignored; shard ids come from the
 * events, so shards added at run time are counted.
 */
export class LifecycleCounts {
  private readonly shards = new Map<number, ShardCounts>();

  /** Counts one lifecycle event. */
  observe(event: CountedEvent): void {
    const { shardId } = event;
    if (typeof shardId !== 'number' || !Number.isSafeInteger(shardId) || shardId < 0) return;
    switch (event.type) {
      case 'session':
        this.of(shardId).hasSession = event.session !== null && event.session !== undefined;
        break;
      case 'status':
        if (event.status === 'resuming') this.of(shardId).hasSession = true;
        else if (event.status === 'reconnecting') {
          const counts = this.of(shardId);
          if (counts.afterUnreachable) counts.unreachable++;
          else if (counts.hasSession) counts.resume++;
          else counts.identify++;
          counts.afterUnreachable = false;
        }
        break;
      case 'unreachable':
        this.of(shardId).afterUnreachable = true;
        break;
      case 'session-lost':
        this.of(shardId).sessionsLost++;
        break;
      case 'message-dropped': {
        const counts = this.of(shardId);
        const reason = typeof event.reason === 'string' && DROP_REASONS.has(event.reason) ? event.reason : 'other';
        counts.dropped.set(reason, (counts.dropped.get(reason) ?? 0) + 1);
        break;
      }
      case 'identify-loop':
        this.of(shardId).identifyLoopPauses++;
        break;
      case 'fatal': {
        const counts = this.of(shardId);
        const kind = typeof event.kind === 'string' && KNOWN_FATAL.has(event.kind) ? event.kind : 'other';
        counts.fatal.set(kind, (counts.fatal.get(kind) ?? 0) + 1);
        break;
      }
    }
  }

  private of(shardId: number): ShardCounts {
    let counts = this.shards.get(shardId);
    if (counts === undefined) this.shards.set(shardId, (counts = new ShardCounts(shardId)));
    return counts;
  }

  /** Every shard's counters, as plain data, in the order shards were first seen. */
  snapshot(): ShardLifecycleCounts[] {
    return [...this.shards.values()].map((c) => ({
      shardId: c.shardId,
      reconnects: { resume: c.resume, identify: c.identify, unreachable: c.unreachable },
      sessionsLost: c.sessionsLost,
      fatal: Object.fromEntries(c.fatal),
      messagesDropped: Object.fromEntries(c.dropped),
      identifyLoopPauses: c.identifyLoopPauses,
    }));
  }
}
