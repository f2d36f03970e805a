/**
 * Bytes arriving on a gateway socket, below the WebSocket framing. A large message (a 1 MB
 * GUILD_CREATE, or one read slowly from a busy network) is one frame that `ws` emits only once
 * its last byte is in; until then the connection is delivering, not silent, and its heartbeat
 * must know it. So every chunk the upgraded socket reads is reported, whether or not it completes
 * a frame.
 */
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';

/** Told of every chunk of bytes its socket reads (cheap: called per chunk of up to 64 KiB). */
export interface BytesListener {
  bytesArrived(): void;
}

const LISTENER = Symbol('bytes listener');
const SOCKET = Symbol('upgraded socket');
type Watched = { [LISTENER]?: BytesListener; [SOCKET]?: IncomingMessage['socket'] & Watched };

/**
 * Reports to `listener` every chunk read by the socket `ws` is upgraded on, from the open on.
 * (The socket is taken at the upgrade, but listened to only once `ws` has its own 'data'
 * listener in place: a listener of ours alone would set the socket flowing and the bytes that
 * came with the upgrade response would reach us and not `ws`.) Listeners are module functions
 * that find their listener on the socket: no closure per connection. Goes away with the socket.
 */
export const watchSocketBytes = (ws: WebSocket, listener: BytesListener): void => {
  (ws as WebSocket & Watched)[LISTENER] = listener;
  ws.once('upgrade', onUpgrade);
  ws.once('open', onOpen);
};

function onUpgrade(this: WebSocket & Watched, response: IncomingMessage): void {
  this[SOCKET] = response.socket as (IncomingMessage['socket'] & Watched) | null ?? undefined;
}

function onOpen(this: WebSocket & Watched): void {
  const socket = this[SOCKET];
  const listener = this[LISTENER];
  this[SOCKET] = undefined;
  if (socket === undefined || listener === undefined) return;
  socket[LISTENER] = listener;
  socket.on('data', onBytes);
}

function onBytes(this: Watched): void {
  this[LISTENER]?.bytesArrived();
}
