/** One gateway connection as a stream: the shard and the operators it is built from. */
export * from './types.js';
export { shard } from './shard.js';
export { USER_AGENT } from './connection.js';
export { SHARD_TIMING_DEFAULTS } from './options.js';
export { heartbeat, type HeartbeatSignal } from './heartbeat.js';
export { backoffDelay, repeatWithBackoff, type BackoffConfig } from './backoff.js';
export { createCommandLimiter, type CommandLimiter, type CommandLimiterOptions, type SendPriority } from './limiter.js';
export { nextStep, MAX_RESUME_TRIES, type ConnectionEnd, type NextStep } from './session.js';
export { isIdentifyGrant, type IdentifyGrant } from './identify-budget.js';
