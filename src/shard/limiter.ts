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
  /** Queues a frame; it is written as soon as its priority and the window allow. */
  send(priority: SendPriority, text: string, settle?: (result: CommandResult) => void): void;
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
export const createCommandLimiter = (options: CommandLimiterOptions): CommandLimiter => {
  const { scheduler } = options;
  const limit = options.limit ?? SEND_LIMIT;
  // 5 % on top of the window, so that jitter between our clock and the gateway's never lets it
  // count one frame too many in its own window.
  const windowMs = Math.ceil((options.windowMs ?? SEND_WINDOW_MS) * 1.05);
  const reserve = Math.min(options.heartbeatReserve ?? 4, limit - 1);
  const maxQueued = options.maxQueued ?? 1000;
  const queues: Record<SendPriority, Pending[]> = { heartbeat: [], session: [], user: [] };
  let sentAt: number[] = [];
  let write: ((text: string) => void) | null = null;
  let gateOpen = false;
  let closed: DisclusterError | null = null;
  let wake: Subscription | null = null;
  let wakeAt = Infinity;

  const wakeIn = (waitMs: number) => {
    const at = scheduler.now() + waitMs;
    if (wake !== null && wakeAt <= at) return;
    wake?.unsubscribe();
    wakeAt = at;
    wake = scheduler.schedule(() => {
      wake = null;
      wakeAt = Infinity;
      drain();
    }, waitMs);
  };

  const prune = (now: number) => {
    let drop = 0;
    while (drop < sentAt.length && sentAt[drop]! <= now - windowMs) drop++;
    if (drop > 0) sentAt = sentAt.slice(drop);
  };

  const next = (): [SendPriority, Pending] | null => {
    if (queues.heartbeat.length > 0) return ['heartbeat', queues.heartbeat[0]!];
    if (queues.session.length > 0) return ['session', queues.session[0]!];
    if (gateOpen && queues.user.length > 0) return ['user', queues.user[0]!];
    return null;
  };

  const drain = () => {
    while (write !== null) {
      const now = scheduler.now();
      prune(now);
      const head = next();
      if (head === null) return;
      const [priority, pending] = head;
      const allowed = priority === 'heartbeat' ? limit : limit - reserve;
      if (sentAt.length >= allowed) {
        const waitMs = sentAt[sentAt.length - allowed]! + windowMs - now;
        wakeIn(Math.max(waitMs, 1));
        return;
      }
      queues[priority].shift();
      sentAt.push(now);
      write(pending.text);
      pending.settle?.({ ok: true });
    }
  };

  const reset = () => {
    wake?.unsubscribe();
    wake = null;
    wakeAt = Infinity;
    sentAt = [];
    gateOpen = false;
    queues.heartbeat = [];
    queues.session = [];
  };

  return {
    send(priority, text, settle) {
      if (closed !== null) return settle?.({ ok: false, error: closed });
      if (priority === 'user' && queues.user.length >= maxQueued) {
        return settle?.({
          ok: false,
          error: new DisclusterError('COMMAND_REJECTED', `the shard already has ${maxQueued} commands waiting to be sent`),
        });
      }
      if (priority !== 'user' && write === null) return;
      queues[priority].push({ text, settle });
      drain();
    },
    attach(writer) {
      reset();
      write = writer;
    },
    openGate() {
      gateOpen = true;
      drain();
    },
    detach() {
      reset();
      write = null;
    },
    close(error) {
      reset();
      write = null;
      closed = error;
      for (const pending of queues.user.splice(0)) pending.settle?.({ ok: false, error });
    },
    get inWindow() {
      prune(scheduler.now());
      return sentAt.length;
    },
    get queued() {
      return queues.user.length;
    },
  };
};
