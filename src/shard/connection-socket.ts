import WebSocket from 'ws';
import { USER_AGENT } from '../gateway/user-agent.js';
import type { ResolvedShardOptions } from './options.js';
import { readTurn, type TurnReader } from './read-turn.js';
import { type BytesListener, watchSocketBytes } from './socket-bytes.js';

export { pauseReading, resumeReading } from './socket-hold.js';

/** Milliseconds a closing socket may wait for the server's close frame before it is destroyed. */
const CLOSE_TIMEOUT_MS = 2_000;

/** What a connection hears from its socket (its frames through the read turn). */
export interface SocketOwner extends TurnReader<WebSocket.RawData>, BytesListener {
  /** The socket is open. */
  opened(): void;
  /** One raw frame from the socket. */
  received(data: WebSocket.RawData, isBinary: boolean): void;
  /** The socket closed. */
  closed(code: number): void;
}

/**
 * Opens a connection's socket to `url` (the User-Agent Discord asks for, the message cap, the
 * TLS trust of `options`) and routes its events to `owner`. The listeners are module functions
 * that find their owner on the socket: a connection costs no closures for them.
 */
export const openSocket = (url: string, options: ResolvedShardOptions, owner: SocketOwner): WebSocket => {
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: options.maxMessageBytes,
    closeTimeout: CLOSE_TIMEOUT_MS,
    headers: { 'User-Agent': USER_AGENT },
    ...(options.tls?.ca !== undefined ? { ca: options.tls.ca as string | string[] } : {}),
  } as WebSocket.ClientOptions) as OwnedSocket;
  ws[CONNECTION] = owner;
  watchSocketBytes(ws, owner); // bytes of a frame still coming count as the connection delivering
  ws.on('open', onSocketOpen);
  ws.on('message', onSocketMessage);
  ws.on('error', ignore); // every error is followed by 'close', which ends the connection.
  ws.on('close', onSocketClose);
  return ws;
};

/** Where a socket keeps its connection, for the shared listeners below. */
const CONNECTION = Symbol('connection');
type OwnedSocket = WebSocket & { [CONNECTION]: SocketOwner };

function onSocketOpen(this: WebSocket): void {
  (this as OwnedSocket)[CONNECTION].opened();
}
function onSocketMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  (this as OwnedSocket)[CONNECTION].received(data, isBinary);
}
function onSocketClose(this: WebSocket, code: number): void {
  const connection = (this as OwnedSocket)[CONNECTION];
  readTurn.flush(connection); // what was read before the close comes first
  connection.closed(code);
}
const ignore = (): void => {};
