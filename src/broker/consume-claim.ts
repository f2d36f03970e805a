import type { Redis } from 'ioredis';
import type { EntryFields } from './entry-decode.js';
import type { InFlightLedger } from './consume-in-flight.js';
import type { ResolvedConsumeOptions } from './consume-options.js';

/** Handles one entry read or claimed: decode, then deliver or dead-letter. */
export type EntryHandler = (key: string, event: string, id: string, fields: EntryFields, deliveries: number) => void;

/** Raw stream entries as `callBuffer` returns them: `[id, [field, value, …]]`, null for a deleted entry. */
export type RawEntries = readonly (readonly [Buffer, readonly Buffer[] | null] | null)[];

/**
 * One claim pass over the group's streams: the entries idle longer than `claimIdleMs` (on a
 * consumer that died, or a handler that hung) are taken over by this consumer, as many as it has
 * free places, and handed to `handle` with their delivery count (Redis's count plus this claim).
 *
 * XPENDING … IDLE lists the candidates and their delivery counts; XCLAIM with the same min-idle
 * takes each one only if it is still idle, so two live consumers never both take an entry, and
 * the count handed on is exact. Returns how many entries were claimed. Throws on a Redis error.
 */
export const claimIdleEntries = async (redis: Redis, options: ResolvedConsumeOptions, ledger: InFlightLedger, handle: EntryHandler): Promise<number> => {
  let claimedInAll = 0;
  for (const [index, key] of options.keys.entries()) {
    const places = ledger.reserve(ledger.free);
    if (places === 0) break;
    try {
      const pending = (await redis.xpending(key, options.group, 'IDLE', options.claimIdleMs, '-', '+', places)) as [string, string, number, number][];
      if (pending.length === 0) continue;
      const counts = new Map(pending.map(([id, , , deliveries]) => [id, Number(deliveries)]));
      const claimed = (await redis.callBuffer('XCLAIM', key, options.group, options.consumer, String(options.claimIdleMs), ...counts.keys())) as RawEntries;
      let taken = 0;
      for (const entry of claimed) {
        if (entry === null) continue;
        const id = entry[0].toString('latin1');
        taken++;
        handle(key, options.events[index]!, id, entry[1] ?? [], (counts.get(id) ?? 0) + 1);
      }
      if (taken > 0) options.onReport({ type: 'claimed', stream: key, count: taken });
      claimedInAll += taken;
    } finally {
      ledger.unreserve(places);
    }
  }
  return claimedInAll;
};
