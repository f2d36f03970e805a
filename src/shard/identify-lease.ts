/**
 * When a connection lets its identify lease go. Every identify queue counts a bucket's window
 * from the lease's release, so the release point decides what the window is counted from.
 *
 * Discord judges an identify by when *it* processes it, and under a wide burst it may process
 * one wave late and the next on time. A window counted from the send can then be short by the
 * gateway's lag. Counted from the gateway's answer (READY, op 9, or the socket's close) it
 * cannot: the answer is sent after the identify was processed, so the next identify of the
 * bucket, sent a window after the answer, is processed at least a window after this one,
 * whatever the lag.
 */

/** What happens to a connection that holds an identify lease. */
export type LeaseEvent =
  /** The identify was written to the socket. */
  | 'identify-sent'
  /** READY came: the gateway processed the identify. */
  | 'ready'
  /** op 9 came: the gateway processed (and refused) the identify. */
  | 'invalid-session'
  /** The socket is closed: whatever the gateway read of it, it has finished with. */
  | 'socket-closed'
  /** The client ends the connection itself (timeout, stop, decode error, zombie): the close is on its way. */
  | 'ending';

/**
 * True when the lease is to be released on `event`. Before the identify is sent the lease is a
 * place in the queue, given up as soon as the connection ends. Once sent, it is held until the
 * gateway has answered or the socket is closed: a client that ends the connection right after
 * identifying may still see the gateway process that identify, so it waits for the close.
 */
export const releasesLease = (event: LeaseEvent, identifySent: boolean): boolean => {
  switch (event) {
    case 'identify-sent':
      return false;
    case 'ending':
      return !identifySent;
    case 'ready':
    case 'invalid-session':
    case 'socket-closed':
      return true;
  }
};
