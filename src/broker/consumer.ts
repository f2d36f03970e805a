/**
 * The consumer side of `@discluster/cluster/broker`: dispatches read from Redis Streams in a
 * consumer group, at least once, with a bounded number in flight and dead letters.
 */
export { consumeDispatches, type DispatchConsumer } from './consume-dispatches.js';
export type { ConsumableEvent, ConsumedDispatch, ConsumeDispatchesOptions, ConsumerReport, ConsumerStats } from './consume-options.js';
export { DEFAULT_DEAD_LETTER, DEAD_LETTER_MAX_LEN } from './dead-letter.js';
export type { DeadLetterReason } from './dead-letter-decision.js';
export { decodeEntry, type DecodedEntry, type EntryDecodeResult, type UndecodableEntry } from './entry-decode.js';
