/**
 * Pausing a gateway socket so that what the gateway sends next stays in the kernel.
 *
 * The read turn (read-turn.ts) pauses a connection whose frames must wait for a later turn. A
 * paused Node stream still reads ahead: the chunk of up to 64 KiB that arrives next is read into
 * the stream's buffer (up to its high-water mark) and waits there until the backlog is handled.
 * Under a storm of large GUILD_CREATEs that is every paused connection holding a fresh chunk
 * for tens of milliseconds: long enough to outlive young-generation collections, so the chunks
 * are promoted and their memory waits for a full collection (the storm's extra RSS and GC time).
 * Here the socket stops reading at once, with nothing read ahead; TCP holds the rest, and the
 * sender slows down as its window fills, as it would for any slow reader.
 *
 * This reaches into the socket's stream state (`_readableState`, `_handle.readStop`), the same
 * steps Node's own `Socket#pause` takes for a socket read through `onread`. A runtime or socket
 * without them is paused the plain way, which is correct and only holds one chunk more.
 */
import type WebSocket from 'ws';

/** The parts of a `net.Socket` this module touches, all optional: absent, the plain pause is used. */
interface SocketInternals {
  _readableState?: { highWaterMark?: unknown };
  _handle?: { reading?: unknown; readStop?: unknown; readStart?: unknown } | null;
}

const socketOf = (ws: WebSocket): SocketInternals | undefined => (ws as unknown as { _socket?: SocketInternals })._socket ?? undefined;

/**
 * Pauses `ws` and stops its socket's reads now. The stream's high-water mark becomes 0 for good,
 * so a paused stream does not start reading again to fill a buffer (while flowing, a mark of 0
 * changes nothing: every chunk is handed on as it is read). `resumeReading` reads again.
 */
export const pauseReading = (ws: WebSocket): void => {
  ws.pause();
  if (!ws.isPaused) return; // not open (connecting or closed): there is nothing to stop
  const socket = socketOf(ws);
  const state = socket?._readableState;
  const handle = socket?._handle;
  if (state === undefined || typeof state.highWaterMark !== 'number' || handle == null || typeof handle.readStop !== 'function') return;
  state.highWaterMark = 0;
  if (handle.reading !== true) return;
  handle.reading = false; // the stream starts the handle again when it is resumed and wants data
  (handle.readStop as () => number).call(handle);
};

/**
 * Reads `ws` again after `pauseReading`. The stream restarts its handle itself when it next wants
 * data, but not while it still counts an earlier request as pending (a pause that came from a
 * frame handed on from its buffer), so the handle is started here when the stream did not, as
 * Node's `Socket#resume` does for a socket read through `onread`.
 */
export const resumeReading = (ws: WebSocket): void => {
  ws.resume();
  if (ws.isPaused) return; // not open, or `ws` waits for its own receiver to drain: it resumes the socket then
  const handle = socketOf(ws)?._handle;
  if (handle == null || handle.reading !== false || typeof handle.readStart !== 'function') return;
  handle.reading = true;
  (handle.readStart as () => number).call(handle);
};
