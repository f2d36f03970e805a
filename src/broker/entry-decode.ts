import { Decoder } from '@msgpack/msgpack';
import type { GatewayDispatchPayload } from 'discord-api-types/v10';

/** One stream entry's fields as Redis returns them: name, value, name, value… */
export type EntryFields = readonly (Buffer | string)[];

/** An entry that has the broker's shape, or a shape close enough to be used (see {@link decodeEntry}). */
export interface DecodedEntry {
  readonly ok: true;
  /** The shard that received the dispatch, or -1 when the entry does not say. */
  readonly shardId: number;
  /** The `{ op, t, s, d }` dispatch. */
  readonly payload: GatewayDispatchPayload;
  /** Where the dispatch came from, stable across redeliveries: drop a repeat by remembering recent origins. */
  readonly origin: string;
  /** The whole decoded `data` value, as the publisher wrote it. */
  readonly data: unknown;
  /** The original `data` bytes (what a dead letter keeps). */
  readonly raw: Buffer;
}

/** An entry the consumer cannot use: it is dead-lettered at once, never delivered. */
export interface UndecodableEntry {
  readonly ok: false;
  /** Why, for reports and logs. */
  readonly reason: string;
  /** The `data` bytes when there was such a field, else an empty buffer. */
  readonly raw: Buffer;
}

/** What {@link decodeEntry} makes of an entry. */
export type EntryDecodeResult = DecodedEntry | UndecodableEntry;

const EMPTY = Buffer.alloc(0);
const OPEN_BRACE = 0x7b;
const decoder = new Decoder();

const asBuffer = (value: Buffer | string | undefined): Buffer | undefined => (value === undefined ? undefined : typeof value === 'string' ? Buffer.from(value) : value);

/** The value of the field named `data` (the first one, at a name position), or undefined. */
export const dataField = (fields: EntryFields): Buffer | undefined => {
  if (!Array.isArray(fields)) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    const isData = typeof name === 'string' ? name === 'data' : Buffer.isBuffer(name) && name.length === 4 && name.toString('latin1') === 'data';
    if (isData) return asBuffer(fields[i + 1]);
  }
  return undefined;
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
const isShardId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isDispatch = (value: unknown): value is Record<string, unknown> & { t: string } => isRecord(value) && typeof value.t === 'string' && value.t.length > 0;

/** JSON when the first byte is `{` (a msgpack map never starts with 0x7b), msgpack otherwise. Throws on garbage. */
const parseData = (raw: Buffer): unknown => (raw[0] === OPEN_BRACE ? JSON.parse(raw.toString('utf8')) : decoder.decode(raw));

/**
 * Decodes one stream entry read from `stream`'s entry `id`, whose event name (the stream key
 * without its prefix) is `event`. Never throws. The rule:
 * - the entry's `data` field is JSON when its first byte is `{`, msgpack otherwise; no `data`
 *   field, an empty one or bytes that do not decode → undecodable (dead-lettered by the consumer);
 * - `payload` is `data.payload` when that is a dispatch (an object with a string `t`), else `data`
 *   itself when it is one, else `{ op: 0, t: event, s: -1, d: data }` (what @discordjs/brokers'
 *   `publish(event, data)` carries: `s` -1 means unknown);
 * - `shardId` is `data.shardId` when it is a non-negative integer, else -1;
 * - `origin` is `data.origin` when it is a non-empty string, else `${stream}:${id}` (stable for
 *   every redelivery of this entry, which is what a worker's dedup needs);
 * - `data` is always the whole decoded value.
 */
export const decodeEntry = (fields: EntryFields, stream: string, id: string, event: string): EntryDecodeResult => {
  const raw = dataField(fields);
  if (raw === undefined) return { ok: false, reason: 'the entry has no data field', raw: EMPTY };
  if (raw.length === 0) return { ok: false, reason: 'the data field is empty', raw };
  let data: unknown;
  try {
    data = parseData(raw);
  } catch (error) {
    return { ok: false, reason: `data does not decode: ${error instanceof Error ? error.message : String(error)}`, raw };
  }
  const record = isRecord(data) ? data : undefined;
  const payload = (isDispatch(record?.payload) ? record.payload : isDispatch(data) ? data : { op: 0, t: event, s: -1, d: data }) as unknown as GatewayDispatchPayload;
  const shardId = isShardId(record?.shardId) ? record.shardId : -1;
  const origin = typeof record?.origin === 'string' && record.origin.length > 0 ? record.origin : `${stream}:${id}`;
  return { ok: true, shardId, payload, origin, data, raw };
};
