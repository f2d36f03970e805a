/** One gateway connection as a stream: the shard and the operators it is built from. */
export * from './types.js';
export { shard } from './shard.js';
export { USER_AGENT } from '../gateway/user-agent.js';
export { SHARD_TIMING_DEFAULTS } from './options.js';
export { IDENTIFY_LOOP_DEFAULTS, identifyLoopDefaults, beforeIdentify, connectionEnded, identifyStarted, readyReached, initialLoopState, type IdentifyLoopState, type IdentifyLoopVerdict } from './identify-loop-guard.js';
export { heartbeat, type HeartbeatSignal } from './heartbeat.js';
export { backoffDelay, repeatWithBackoff, type BackoffConfig } from './backoff.js';
export { createCommandLimiter, type CommandLimiter, type CommandLimiterOptions, type SendPriority } from './limiter.js';
export { nextStep, MAX_RESUME_TRIES, type ConnectionEnd, type NextStep } from './session.js';
export { isIdentifyGrant, type IdentifyGrant } from './identify-budget.js';
