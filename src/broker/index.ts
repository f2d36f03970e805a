/**
 * `@discluster/cluster/broker`: a cluster's dispatches to stateless workers through Redis Streams,
 * in @discordjs/brokers' wire format. Needs `ioredis` 5 (an optional peer dependency: install it
 * yourself); the producer writes MessagePack itself, the consumer reads it with `@msgpack/msgpack`.
 * See the README's "Dispatches to Redis Streams" and "Workers on Redis Streams".
 */
export { publishDispatches, type DispatchPublisher, type PublisherEvent, type PublisherStats } from './publisher.js';
export { PUBLISH_DEFAULTS, type PublishOptions } from './options.js';
export { createEntryEncoder, dispatchOrigin, entryData, entryJson, type BrokerEncoding, type BrokerEntryData } from './entry-encode.js';
// the consumer: consumeDispatches, its options, dead letters, the entry decoder
export * from './consumer.js';
