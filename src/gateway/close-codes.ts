import { GatewayCloseCodes } from 'discord-api-types/gateway/v10';

/** What a shard does after the gateway closes its connection with a given code. */
export type CloseAction = 'resume' | 'reidentify' | 'fatal';

/** Why a fatal close code cannot be retried: who has to fix what. */
export type FatalKind = 'auth' | 'sharding' | 'version' | 'intents';

/** The classification of one close code. */
export interface CloseCodeInfo {
  readonly code: number;
  readonly action: CloseAction;
  /** Set when `action` is `fatal`. */
  readonly kind?: FatalKind;
  /** A short human explanation. */
  readonly reason: string;
}

const entry = (code: number, action: CloseAction, reason: string, kind?: FatalKind): CloseCodeInfo =>
  kind === undefined ? { code, action, reason } : { code, action, reason, kind };

/**
 * Every close code Discord documents, classified.
 * @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes
 */
export const CLOSE_CODES: ReadonlyMap<number, CloseCodeInfo> = new Map(
  [
    entry(GatewayCloseCodes.UnknownError, 'resume', 'unknown error'),
    entry(GatewayCloseCodes.UnknownOpcode, 'resume', 'unknown opcode or invalid payload'),
    entry(GatewayCloseCodes.DecodeError, 'resume', 'decode error (or a payload over 4096 bytes)'),
    entry(GatewayCloseCodes.NotAuthenticated, 'reidentify', 'payload sent before identifying'),
    entry(GatewayCloseCodes.AuthenticationFailed, 'fatal', 'authentication failed: the token is invalid', 'auth'),
    entry(GatewayCloseCodes.AlreadyAuthenticated, 'reidentify', 'identified more than once'),
    entry(GatewayCloseCodes.InvalidSeq, 'reidentify', 'invalid sequence number on resume'),
    entry(GatewayCloseCodes.RateLimited, 'reidentify', 'rate limited: payloads sent too quickly'),
    entry(GatewayCloseCodes.SessionTimedOut, 'reidentify', 'session timed out'),
    entry(GatewayCloseCodes.InvalidShard, 'fatal', 'invalid shard id or shard count', 'sharding'),
    entry(GatewayCloseCodes.ShardingRequired, 'fatal', 'sharding required: too many guilds for this shard count', 'sharding'),
    entry(GatewayCloseCodes.InvalidAPIVersion, 'fatal', 'invalid gateway API version', 'version'),
    entry(GatewayCloseCodes.InvalidIntents, 'fatal', 'invalid intents', 'intents'),
    entry(GatewayCloseCodes.DisallowedIntents, 'fatal', 'disallowed intents: enable them in the developer portal', 'intents'),
  ].map((info) => [info.code, info] as const),
);

/**
 * Classifies a close code. Unknown 4xxx codes, non-4xxx codes and a missing code (a dropped
 * connection, reported as 1006 by `ws`) are resumable.
 */
export const classifyClose = (code: number): CloseCodeInfo =>
  CLOSE_CODES.get(code) ?? entry(code, 'resume', code === 1006 ? 'connection lost' : `closed with code ${code}`);
