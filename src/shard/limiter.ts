import type { SchedulerLike, Subscription } from 'rxjs';
import { DisclusterError } from '../gateway/errors.js';
import { SEND_LIMIT, SEND_WINDOW_MS } from '../gateway/opcodes.js';
import type { CommandResult } from './types.js';

/** Send priority: heartbeats first, then identify/resume, then user commands. */
export type SendPriority = 'heartbeat' | 'session' | 'user';

/** Options of `createCommandLimiter`. */
export interface CommandLimiterOptions {
  readonly scheduler: SchedulerLike;
  /** Frames allowed per window (default 120, Discord's limit). */
  readonly limit?: number;
  /** The sliding window, ms (default 60000); 5 % is added against clock jitter. */
  readonly windowMs?: number;
  /** Permits only heartbeats may use (default 4). */
  readonly heartbeatReserve?: number;
  /** Most user commands waiting before new ones are refused (default 1000). */
  readonly maxQueued?: number;
}

interface Pending {
  readonly text: string;
  readonly settle: ((result: CommandResult) => void) | undefined;
}

/**
 * The outbound queue of one shard. Every frame sent on a connection counts against a sliding
 * window of `limit` per `windowMs`, as Discord counts them. Heartbeats never wait behind other
 * frames and have permits of their own; identify/resume go before user commands; user commands
 * wait, in order, until the connection is READY (`openGate`).
 */
export interface CommandLimiter {
  /**
   * Queues a frame; it is written as soon as its priority and the window allow. At most one
   * heartbeat waits: a newer one takes its place (the gateway needs only the latest sequence),
   * and the one replaced is never written nor settled.
   */
  send(priority: SendPriority, text: string, settle?: (result: CommandResult) => void): void;
  /** Sends a heartbeat: true when written now; else it waits (as `send`) and `late.sent()` is called once it is written. */
  sendHeartbeat(text: string, late: { sent(): void }): boolean;
  /** Binds to a new connection: a fresh window, the user gate shut. */
  attach(write: (text: string) => void): void;
  /** The connection is READY or RESUMED: user commands may flow. */
  openGate(): void;
  /** The connection ended: drops its heartbeat and session frames; user commands keep waiting. */
  detach(): void;
  /** The shard is done: every waiting user command is refused with `error`. */
  close(error: DisclusterError): void;
  /** Frames sent in the current window. */
  readonly inWindow: number;
  /** User commands waiting. */
  readonly queued: number;
}

/** Creates the outbound queue of one shard. */
export const createCommandLimiter = (options: CommandLimiterOptions): CommandLimiter => new SlidingWindowLimiter(options);

/**
 * `CommandLimiter` as a class: every shard has one for its whole life, and prototype methods
 * keep an idle shard's share of the heap to its fields.
 */
class SlidingWindowLimiter implements CommandLimiter {
  private readonly scheduler: SchedulerLike;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly reserve: number;
  private readonly maxQueued: number;
  private heartbeats: Pending[] = [];
  private sessions: Pending[] = [];
  private readonly users: Pending[] = [];
  /** When each frame of the current window was sent, oldest first. */
  private sentAt: number[] = [];
  private write: ((text: string) => void) | null = null;
  private gateOpen = false;
  private closed: DisclusterError | null = null;
  private wake: Subscription | null = null;
  private wakeAt = Infinity;

  constructor(options: CommandLimiterOptions) {
    this.scheduler = options.scheduler;
    this.limit = options.limit ?? SEND_LIMIT;
    // 5 % on top of the window, so that jitter between our clock and the gateway's never lets
    // it count one frame too many in its own window.
    this.windowMs = Math.ceil((options.windowMs ?? SEND_WINDOW_MS) * 1.05);
    this.reserve = Math.min(options.heartbeatReserve ?? 4, this.limit - 1);
    this.maxQueued = options.maxQueued ?? 1000;
  }

  get inWindow(): number {
    this.prune(this.scheduler.now());
    return this.sentAt.length;
  }

  get queued(): number {
    return this.users.length;
  }

  send(priority: SendPriority, text: string, settle?: (result: CommandResult) => void): void {
    if (this.closed !== null) return settle?.({ ok: false, error: this.closed });
    if (priority === 'user' && this.users.length >= this.maxQueued) {
      return settle?.({
        ok: false,
        error: new DisclusterError('COMMAND_REJECTED', `the shard already has ${this.maxQueued} commands waiting to be sent`),
      });
    }
    if (priority !== 'user' && this.write === null) return;
    // nothing waits ahead of it: write at once if the window allows (no queue entry to keep)
    if (this.nextPriority() === null && (priority !== 'user' || this.gateOpen) && this.hasRoom(priority)) return this.sendNow(text, settle);
    if (priority === 'heartbeat' && this.heartbeats.length !== 0) this.heartbeats[0] = { text, settle };
    else this.queue(priority).push({ text, settle });
    this.drain();
  }

  sendHeartbeat(text: string, late: { sent(): void }): boolean {
    let writtenNow: boolean | undefined;
    this.send('heartbeat', text, (result) => {
      if (!result.ok) return;
      if (writtenNow === undefined) writtenNow = true;
      else late.sent();
    });
    writtenNow ??= false;
    return writtenNow;
  }

  attach(write: (text: string) => void): void {
    this.reset();
    this.write = write;
  }

  openGate(): void {
    this.gateOpen = true;
    this.drain();
  }

  detach(): void {
    this.reset();
    this.write = null;
  }

  close(error: DisclusterError): void {
    this.reset();
    this.write = null;
    this.closed = error;
    for (const pending of this.users.splice(0)) pending.settle?.({ ok: false, error });
  }

  private queue(priority: SendPriority): Pending[] {
    return priority === 'heartbeat' ? this.heartbeats : priority === 'session' ? this.sessions : this.users;
  }

  /** The priority whose head goes next, or null when nothing may go. */
  private nextPriority(): SendPriority | null {
    if (this.heartbeats.length > 0) return 'heartbeat';
    if (this.sessions.length > 0) return 'session';
    if (this.gateOpen && this.users.length > 0) return 'user';
    return null;
  }

  private drain(): void {
    for (;;) {
      const priority = this.nextPriority();
      if (priority === null) return;
      if (!this.hasRoom(priority)) return;
      const pending = this.queue(priority).shift()!;
      this.sendNow(pending.text, pending.settle);
    }
  }

  /** True when connected and the window has room for a frame of this priority; else arranges a wake-up. */
  private hasRoom(priority: SendPriority): boolean {
    if (this.write === null) return false;
    const now = this.scheduler.now();
    this.prune(now);
    const allowed = priority === 'heartbeat' ? this.limit : this.limit - this.reserve;
    if (this.sentAt.length >= allowed) {
      const waitMs = this.sentAt[this.sentAt.length - allowed]! + this.windowMs - now;
      this.wakeIn(Math.max(waitMs, 1));
      return false;
    }
    return true;
  }

  private sendNow(text: string, settle: ((result: CommandResult) => void) | undefined): void {
    // a fresh window starts as a one-slot array: an idle shard's few sends need no spare capacity
    if (this.sentAt.length === 0) this.sentAt = [this.scheduler.now()];
    else this.sentAt.push(this.scheduler.now());
    this.write!(text);
    settle?.({ ok: true });
  }

  private wakeIn(waitMs: number): void {
    const at = this.scheduler.now() + waitMs;
    if (this.wake !== null && this.wakeAt <= at) return;
    this.wake?.unsubscribe();
    this.wakeAt = at;
    this.wake = this.scheduler.schedule(wakeUp, waitMs, this);
  }

  /** The window has room again (called by the scheduled wake-up). */
  woken(): void {
    this.wake = null;
    this.wakeAt = Infinity;
    this.drain();
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.sentAt.length && this.sentAt[drop]! <= now - this.windowMs) drop++;
    if (drop > 0) this.sentAt = this.sentAt.slice(drop);
  }

  private reset(): void {
    this.wake?.unsubscribe();
    this.wake = null;
    this.wakeAt = Infinity;
    this.sentAt = [];
    this.gateOpen = false;
    this.heartbeats = [];
    this.sessions = [];
  }
}

/** Scheduled work of a waiting limiter; a plain function, so waiting costs no closure. */
function wakeUp(this: unknown, limiter?: SlidingWindowLimiter): void {
  limiter?.woken();
}
