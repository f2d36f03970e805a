/**
 * A dispatch as a broker entry's `data` field (the wire format: `issues/broker-wire.md`, and the
 * README's broker section): `{ shardId, payload: { op: 0, t, s, d }, origin }`, in msgpack (what
 * @discordjs/brokers 1.x decodes) or as JSON text. `origin` is `${shardId}:${sessionId}:${s}`:
 * the same for an event a resume replays, so a worker can drop the repeat.
 */
import { dispatchDataText } from '../gateway/dispatch-data.js';
import { sessionIdOf } from '../shard/dispatch-session.js';
import { frameTextOf } from '../shard/frame-text.js';
import type { ShardDispatchEvent } from '../shard/types.js';
import { MsgpackWriter } from './msgpack-write.js';

/** How an entry's `data` is written: msgpack bytes (default, what @discordjs/brokers reads) or UTF-8 JSON text. */
export type BrokerEncoding = 'msgpack' | 'json';

/** What an entry's `data` holds, decoded. */
export interface BrokerEntryData {
  readonly shardId: number;
  readonly payload: { readonly op: 0; readonly t: string; readonly s: number; readonly d: unknown };
  /** `${shardId}:${sessionId}:${s}`: one delivery of one event (a replay after a resume keeps it). */
  readonly origin: string;
}

/** The origin of a dispatch: its shard, its session (empty when unknown) and its sequence number. */
export const dispatchOrigin = (event: ShardDispatchEvent): string => `${event.shardId}:${sessionIdOf(event) ?? ''}:${event.s}`;

/** The entry data of a dispatch, as an object. */
export const entryData = (event: ShardDispatchEvent): BrokerEntryData => ({
  shardId: event.shardId,
  payload: { op: 0, t: event.t, s: event.s, d: event.d },
  origin: dispatchOrigin(event),
});

/**
 * The JSON text of a dispatch's entry data. When the shard kept the frame's text and its layout
 * is plain (`dispatchDataText`), `d` is copied from it as Discord sent it instead of serialized
 * again; the result parses to the same value either way.
 */
export const entryJson = (event: ShardDispatchEvent): string => {
  const text = frameTextOf(event);
  const dText = text === undefined ? undefined : dispatchDataText(text);
  if (dText === undefined) return JSON.stringify(entryData(event));
  return `{"shardId":${event.shardId},"payload":{"op":0,"t":${JSON.stringify(event.t)},"s":${event.s},"d":${dText}},"origin":${JSON.stringify(dispatchOrigin(event))}}`;
};

/**
 * Makes the function that encodes each dispatch's `data`: JSON text, or MessagePack written by one
 * reused `MsgpackWriter` (what `@msgpack/msgpack`'s `decode`, and so @discordjs/brokers, reads).
 */
export const createEntryEncoder = (encoding: BrokerEncoding): ((event: ShardDispatchEvent) => Buffer) => {
  // as bytes: ioredis sends a Buffer as it is, where a long string costs it a measure and a copy
  if (encoding === 'json') return (event) => Buffer.from(entryJson(event));
  const writer = new MsgpackWriter();
  return (event) => {
    writer.reset();
    writer.mapHeader(3);
    writer.string('shardId');
    writer.number(event.shardId);
    writer.string('payload');
    writer.mapHeader(4);
    writer.string('op');
    writer.number(0);
    writer.string('t');
    writer.string(event.t);
    writer.string('s');
    writer.number(event.s);
    writer.string('d');
    writer.value(event.d, 2);
    writer.string('origin');
    writer.string(dispatchOrigin(event));
    return writer.take();
  };
};
