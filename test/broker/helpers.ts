/**
 * Test helpers for the broker consumer: entries in the wire format of broker-wire.md written with
 * a plain XADD pipeline (a stand-in for the producer, test-only), waiting for a condition on an
 * Observable, and reading a group's pending count.
 */
import { encode } from '@msgpack/msgpack';
import type { Redis } from 'ioredis';
import { filter, firstValueFrom, type Observable, timeout } from 'rxjs';

/** The object an entry's `data` holds (broker-wire.md). */
export interface WireEntry {
  readonly shardId: number;
  readonly payload: { readonly op: 0; readonly t: string; readonly s: number; readonly d: unknown };
  readonly origin: string;
}

/** A MESSAGE_CREATE-like marker entry number `n`. */
export const marker = (n: number, shardId = n % 4, session = 'sess'): WireEntry => ({
  shardId,
  payload: { op: 0, t: 'MESSAGE_CREATE', s: n + 1, d: { id: String(n), channel_id: '1', content: `marker ${n}` } },
  origin: `${shardId}:${session}:${n + 1}`,
});

/** Msgpack bytes of `value`, as a Buffer. */
export const msgpack = (value: unknown): Buffer => {
  const bytes = encode(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};

/** XADDs the entries to `${keyPrefix}${t}` in one pipeline; returns their ids. */
export const xaddEntries = async (redis: Redis, keyPrefix: string, entries: readonly WireEntry[]): Promise<string[]> => {
  const pipeline = redis.pipeline();
  for (const entry of entries) pipeline.xadd(`${keyPrefix}${entry.payload.t}`, '*', 'data', msgpack(entry));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, id]) => {
    if (error) throw error;
    return String(id);
  });
};

/** XADDs raw fields (garbage, for the undecodable cases). */
export const xaddRaw = (redis: Redis, key: string, ...fields: (string | Buffer)[]): Promise<string | null> => redis.xadd(key, '*', ...fields);

/** The number of entries pending in `group` on `key` (XPENDING summary). */
export const pendingCount = async (redis: Redis, key: string, group: string): Promise<number> => {
  const summary = (await redis.xpending(key, group)) as [number, ...unknown[]];
  return Number(summary[0]);
};

/** The first value of `source$` meeting `predicate`, or a rejection after `ms` (a failure, not a wait for settling). */
export const until = <T>(source$: Observable<T>, predicate: (value: T) => boolean, ms = 20_000): Promise<T> => firstValueFrom(source$.pipe(filter(predicate), timeout(ms)));
