import type { Redis } from 'ioredis';

/** The dead-letter stream's name without the key prefix, unless `deadLetter` says otherwise. */
export const DEFAULT_DEAD_LETTER = 'discluster:dead-letter';

/** The dead-letter stream is trimmed to about this many entries (`MAXLEN ~`). */
export const DEAD_LETTER_MAX_LEN = 10_000;

/** One entry on its way to the dead-letter stream. */
export interface DeadLetter {
  /** The source stream's key. */
  readonly stream: string;
  /** The source entry's id. */
  readonly id: string;
  /** The original `data` bytes (empty when the entry had no `data` field). */
  readonly data: Buffer;
  /** Redis's delivery count when the entry was given up. */
  readonly deliveries: number;
}

/** The XADD arguments after the key: the fields of broker-wire.md (`data`, `stream`, `id`, `deliveries`). */
export const deadLetterFields = (letter: DeadLetter): (string | Buffer)[] => ['data', letter.data, 'stream', letter.stream, 'id', letter.id, 'deliveries', String(letter.deliveries)];

/**
 * Moves an entry to the dead-letter stream `deadKey` and acknowledges it in its own stream, in
 * one MULTI (both or neither: a crash in between cannot leave it both dead and pending).
 */
export const sendToDeadLetter = async (redis: Redis, deadKey: string, group: string, letter: DeadLetter): Promise<void> => {
  const replies = await redis
    .multi()
    .xadd(deadKey, 'MAXLEN', '~', DEAD_LETTER_MAX_LEN, '*', ...deadLetterFields(letter))
    .xack(letter.stream, group, letter.id)
    .exec();
  const failed = replies?.find(([error]) => error !== null)?.[0];
  if (replies === null) throw new Error('the dead-letter transaction was discarded');
  if (failed) throw failed;
};
