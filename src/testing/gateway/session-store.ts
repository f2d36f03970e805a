/**
 * Every session of the emulator: creation, attaching a connection, detaching (resumable for
 * `sessionTtlMs`) and invalidation, each recorded in the log.
 */
import type { RecordLog } from '../log/record-log.js';
import type { SessionRecord } from '../log/records.js';
import { Session } from './session.js';

/** The emulator's sessions, by id. */
export class SessionStore {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly capacity: number,
    private readonly log: RecordLog,
  ) {}

  private record(event: SessionRecord['event'], session: Session, connectionId: number | undefined): void {
    this.log.push({ kind: 'session', at: performance.now(), event, sessionId: session.id, shardId: session.shardId, numShards: session.numShards, connectionId, seq: session.seq });
  }

  /** Every live or resumable session, oldest first. */
  list(): Session[] {
    return [...this.byId.values()];
  }

  /** A session by id, if it is still resumable. */
  get(id: string): Session | undefined {
    return this.byId.get(id);
  }

  /** The newest session of a shard (of any shard count, or only of `numShards`), if any. */
  newestOf(shardId: number, numShards?: number): Session | undefined {
    let newest: Session | undefined;
    for (const s of this.byId.values()) if (s.shardId === shardId && (numShards === undefined || s.numShards === numShards)) newest = s;
    return newest;
  }

  /** Creates a session bound to a connection. */
  create(shardId: number, numShards: number, intents: number, connectionId: number): Session {
    const session = new Session(shardId, numShards, intents, this.capacity, performance.now());
    session.connectionId = connectionId;
    this.byId.set(session.id, session);
    this.record('created', session, connectionId);
    return session;
  }

  /** Binds a resumed session to a new connection and stops its expiry. */
  attach(session: Session, connectionId: number): void {
    if (session.ttlTimer !== undefined) clearTimeout(session.ttlTimer);
    session.ttlTimer = undefined;
    session.connectionId = connectionId;
    this.record('resumed', session, connectionId);
  }

  /** Unbinds the session's connection; it stays resumable for `ttlMs`, then expires. */
  detach(session: Session): void {
    const connectionId = session.connectionId;
    session.connectionId = undefined;
    if (!this.byId.has(session.id)) return;
    this.record('detached', session, connectionId);
    if (session.ttlTimer !== undefined) clearTimeout(session.ttlTimer);
    session.ttlTimer = setTimeout(() => {
      session.ttlTimer = undefined;
      if (this.byId.delete(session.id)) this.record('expired', session, undefined);
    }, this.ttlMs);
  }

  /** Deletes a session: it can no longer be resumed. */
  invalidate(session: Session): void {
    if (session.ttlTimer !== undefined) clearTimeout(session.ttlTimer);
    session.ttlTimer = undefined;
    const connectionId = session.connectionId;
    session.connectionId = undefined;
    if (this.byId.delete(session.id)) this.record('invalidated', session, connectionId);
  }

  /** Stops every expiry timer and forgets every session. */
  clear(): void {
    for (const s of this.byId.values()) if (s.ttlTimer !== undefined) clearTimeout(s.ttlTimer);
    this.byId.clear();
  }
}
