/**
 * `@discluster/cluster/broker`: a cluster's dispatches to stateless workers through Redis Streams,
 * in @discordjs/brokers' wire format. Needs `ioredis` 5 and `@msgpack/msgpack` 3 (optional peer
 * dependencies: install them yourself). See the README's "Workers beyond the process" section.
 */
export { publishDispatches, type DispatchPublisher, type PublisherEvent, type PublisherStats } from './publisher.js';
export { PUBLISH_DEFAULTS, type PublishOptions } from './options.js';
export { createEntryEncoder, dispatchOrigin, entryData, entryJson, type BrokerEncoding, type BrokerEntryData } from './entry-encode.js';
