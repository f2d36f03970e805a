/**
 * `@discluster/cluster/testing`: a Discord gateway emulator (API v10) on loopback, for this
 * project's tests, demos and benchmarks and for users' own bot tests. See README.md here.
 */
export { createEmulator } from './emulator.js';
export type { Emulator, SessionInfo, ConnectionInfo } from './handle.js';
export type { EmulatorOptions, ResolvedOptions } from './options.js';
export { PRIVILEGED_INTENTS } from './options.js';
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
} from './records.js';
export type { Target } from './faults.js';
export type { EmulatorRest, Inject429Options, RestMessageRecord } from './rest.js';
export type { EmulatorMessage } from './rest-message.js';
export type { StreamOptions, StreamHandle } from './stream.js';
export type { Storm, StormOptions } from './storm.js';
export type { MarkerTraffic, MarkerTrafficOptions } from './markers.js';
export type { Delivery } from './guild-routing.js';
export type { Mix, MixEntry, MixContext } from './traffic.js';
export type { SyntheticGuild } from './world.js';
export { shardOf, snowflake, snowflakeTime, DISCORD_EPOCH } from './snowflake.js';
export { INVALIDATING_CLOSE_CODES } from './gateway.js';
export { zstdAvailable } from './compression.js';
export type { KeyOrder } from './key-order.js';
export type { EmulatorCertificate } from './tls.js';
