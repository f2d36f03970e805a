/** Why an entry went to the dead-letter stream. */
export type DeadLetterReason = 'max-deliveries' | 'undecodable';

/** What the consumer does with an entry it has just read or claimed. */
export type DeliveryDecision = { readonly action: 'deliver' } | { readonly action: 'dead-letter'; readonly reason: DeadLetterReason };

const DELIVER: DeliveryDecision = { action: 'deliver' };
const UNDECODABLE: DeliveryDecision = { action: 'dead-letter', reason: 'undecodable' };
const EXHAUSTED: DeliveryDecision = { action: 'dead-letter', reason: 'max-deliveries' };

/**
 * Deliver or dead-letter. `deliveries` is Redis's delivery count for the entry *including* the
 * read or claim that has just happened (1 on the first read; each claim adds one). An entry is
 * delivered to workers at most `maxDeliveries` times: the read or claim that would be delivery
 * `maxDeliveries + 1` dead-letters it instead. An entry that does not decode is dead-lettered at
 * once, whatever its count: retrying cannot make its bytes decode.
 */
export const decideDelivery = (decodable: boolean, deliveries: number, maxDeliveries: number): DeliveryDecision => {
  if (!decodable) return UNDECODABLE;
  return deliveries > maxDeliveries ? EXHAUSTED : DELIVER;
};

/**
 * How many entries one XREADGROUP may ask for per stream so that a read over `streams` streams
 * (Redis applies COUNT to each stream) never brings more than `free` entries, nor more than
 * `batchSize` in all. 0 means: do not read now, wait for acks.
 */
export const readCountPerStream = (free: number, batchSize: number, streams: number): number => {
  if (streams <= 0 || free <= 0 || batchSize <= 0) return 0;
  return Math.floor(Math.min(free, batchSize) / streams);
};
