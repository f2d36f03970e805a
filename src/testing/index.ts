/**
 * `@discluster/cluster/testing`: a Discord gateway emulator (API v10) on loopback, for this
 * project's tests, demos and benchmarks and for users' own bot tests. See README.md here.
 */
export { createEmulator } from './emulator.js';
export type { Emulator, SessionInfo, ConnectionInfo } from './handle.js';
export type { EmulatorOptions, ResolvedOptions } from './gateway/options.js';
export { PRIVILEGED_INTENTS } from './gateway/options.js';
export type {
  EmulatorRecord,
  OpenRecord,
  FrameRecord,
  CloseRecord,
  SessionRecord,
  HttpRecord,
  Violation,
  ViolationRule,
  ClosedBy,
  GatewayPath,
  RecordPredicate,
} from './log/records.js';
export type { Target } from './gateway/faults.js';
export type { ConnectionRefusal, RefusalMode } from './gateway/refusal.js';
export type { EmulatorRest, Inject429Options, RestMessageRecord } from './rest/rest.js';
export type { EmulatorMessage } from './rest/rest-message.js';
export type { StreamOptions, StreamHandle } from './traffic/stream.js';
export type { Storm, StormOptions } from './gateway/storm.js';
export type { MarkerTraffic, MarkerTrafficOptions } from './traffic/markers.js';
export type { Delivery } from './gateway/guild-routing.js';
export type { Mix, MixEntry, MixContext } from './traffic/traffic.js';
export type { SyntheticGuild } from './world/world.js';
export { shardOf, snowflake, snowflakeTime, DISCORD_EPOCH } from './world/snowflake.js';
export { INVALIDATING_CLOSE_CODES } from './gateway/gateway.js';
export { zstdAvailable } from './wire/compression.js';
export type { KeyOrder } from './wire/key-order.js';
export type { EmulatorCertificate } from './wire/tls.js';
