import * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';
import type { SessionSnapshot } from '../shard/types.js';

const NonNegativeInt = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'NonNegativeInt');
const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1, 'PositiveInt');

/** A {@link SessionSnapshot} as stored in Redis (JSON), checked when read back. */
export const SnapshotCodec = t.type({
  sessionId: t.string,
  seq: NonNegativeInt,
  resumeUrl: t.string,
  shardId: NonNegativeInt,
  totalShards: PositiveInt,
});

/** The JSON kept for a snapshot: exactly its five fields. */
export const encodeSnapshot = (s: SessionSnapshot): string =>
  JSON.stringify({ sessionId: s.sessionId, seq: s.seq, resumeUrl: s.resumeUrl, shardId: s.shardId, totalShards: s.totalShards });

/** Parses a stored snapshot; undefined when the text is not one (or belongs to another shard). */
export const decodeSnapshot = (text: string, shardId: number): SessionSnapshot | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = SnapshotCodec.decode(value);
  return isRight(result) && result.right.shardId === shardId ? result.right : undefined;
};
