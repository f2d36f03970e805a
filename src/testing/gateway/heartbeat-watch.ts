/**
 * The emulator's heartbeat watchdog as one decision: wait, look again after the socket was read,
 * or time the connection out.
 *
 * `lastHeartbeatAt` is when the emulator *read* a heartbeat. When its own event loop stalls (it
 * rendered a storm of large payloads in one go, or the machine was busy), the client's heartbeats
 * wait unread in the socket, and the watchdog's timer runs before the loop reads them. So a
 * deadline that has passed is a verdict only once the socket was read *after* it passed: the
 * watchdog notes when it saw the deadline passed and looks again after the loop's next read
 * (`setImmediate`); if nothing came, the client was silent from its last heartbeat to that note.
 * A real zombie is caught one loop turn after its deadline.
 */

/** What the watchdog does next. */
export type WatchStep =
  | { readonly kind: 'wait'; readonly inMs: number }
  /** The deadline passed: look again after one turn of I/O. */
  | { readonly kind: 'look-again' }
  | { readonly kind: 'timed-out' };

/** One look at a connection. */
export interface WatchLook {
  readonly now: number;
  /** When the last heartbeat was read (or Hello sent). */
  readonly lastHeartbeatAt: number;
  readonly timeoutMs: number;
  /**
   * When the previous look answered `look-again` (the socket has been read since), or undefined.
   * Everything the client sent before then has been read.
   */
  readonly lookAgainSince: number | undefined;
}

/** Decides one look (see the module's comment). */
export const watchStep = (look: WatchLook): WatchStep => {
  const deadline = look.lastHeartbeatAt + look.timeoutMs;
  if (look.now < deadline) return { kind: 'wait', inMs: deadline - look.now };
  const readAfterDeadline = look.lookAgainSince !== undefined && deadline <= look.lookAgainSince;
  return readAfterDeadline ? { kind: 'timed-out' } : { kind: 'look-again' };
};
