import { Subject } from 'rxjs';
import type { CommandRequest, SessionSnapshot, ShardFatalEvent, ShardStatus } from '../shard/types.js';

/** What a cluster reports of one shard. */
export interface ShardInfo {
  readonly shardId: number;
  readonly status: ShardStatus;
  /** The last close code seen, if any. */
  readonly lastCloseCode: number | null;
  /** Round trip of the last heartbeat, ms. */
  readonly latencyMs: number | null;
  /** Last sequence number received. */
  readonly seq: number | null;
  /** Dispatches delivered since the cluster started. */
  readonly events: number;
  readonly fatal: ShardFatalEvent | null;
}

/** The cluster's mutable bookkeeping of one shard. */
export interface ShardRecord {
  readonly shardId: number;
  status: ShardStatus;
  lastCloseCode: number | null;
  latencyMs: number | null;
  seq: number | null;
  events: number;
  session: SessionSnapshot | null;
  /** The sequence moved since the store last heard of this session. */
  dirty: boolean;
  readyOnce: boolean;
  fatal: ShardFatalEvent | null;
  live: boolean;
  /** The shard's stream was subscribed (it may wait for its identify wave before that). */
  started: boolean;
  /** Commands sent before the shard started, handed to it when it does. */
  readonly early: CommandRequest[];
  readonly commands: Subject<CommandRequest>;
  /** Resolves when the shard's stream has ended. */
  readonly done: Promise<void>;
  readonly finished: () => void;
}

/** A fresh record for a shard that has not connected yet. */
export const createShardRecord = (shardId: number): ShardRecord => {
  let finished = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  return {
    shardId,
    status: 'closed',
    lastCloseCode: null,
    latencyMs: null,
    seq: null,
    events: 0,
    session: null,
    dirty: false,
    readyOnce: false,
    fatal: null,
    live: false,
    started: false,
    early: [],
    commands: new Subject<CommandRequest>(),
    done,
    finished: () => finished(),
  };
};

/** The record's session with the last sequence received, or null when it has none. */
export const currentSession = (record: ShardRecord): SessionSnapshot | null =>
  record.session === null ? null : { ...record.session, seq: record.seq ?? record.session.seq };

/** The public view of a record. */
export const toInfo = (record: ShardRecord): ShardInfo => ({
  shardId: record.shardId,
  status: record.status,
  lastCloseCode: record.lastCloseCode,
  latencyMs: record.latencyMs,
  seq: record.seq,
  events: record.events,
  fatal: record.fatal,
});
