/**
 * Pure checks of what a client sends: payload decoding, opcodes, and the Identify and Resume
 * payloads, each answering with the close code Discord uses for that mistake.
 */
import { GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';
import { PRIVILEGED_INTENTS } from './options.js';
import type { ViolationRule } from '../log/records.js';

/** A rule break and the close code that answers it. */
export interface Refusal {
  readonly ok: false;
  readonly rule: ViolationRule;
  readonly code: number;
  readonly detail: string;
}

const refuse = (rule: ViolationRule, code: number, detail: string): Refusal => ({ ok: false, rule, code, detail });

/** Opcodes a client may send. */
export const CLIENT_OPCODES: ReadonlySet<number> = new Set([
  GatewayOpcodes.Heartbeat,
  GatewayOpcodes.Identify,
  GatewayOpcodes.PresenceUpdate,
  GatewayOpcodes.VoiceStateUpdate,
  GatewayOpcodes.Resume,
  GatewayOpcodes.RequestGuildMembers,
  GatewayOpcodes.RequestSoundboardSounds,
  GatewayOpcodes.RequestChannelInfo,
]);

/** Every intent bit Discord defines. */
export const KNOWN_INTENTS: number = Object.values(GatewayIntentBits)
  .filter((v): v is number => typeof v === 'number')
  .reduce((mask, bit) => mask | bit, 0);

/** A decoded client payload. */
export interface Decoded {
  readonly ok: true;
  readonly op: number;
  readonly d: unknown;
  readonly payload: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a payload's text: 4002 when it is not a JSON object, 4001 when `op` is missing or unknown. */
export const decodePayload = (text: string): Decoded | (Refusal & { readonly parsed: unknown }) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ...refuse('decode-error', 4002, 'the payload is not valid JSON'), parsed: undefined };
  }
  if (!isRecord(parsed)) return { ...refuse('decode-error', 4002, 'the payload is not a JSON object'), parsed };
  const op = parsed['op'];
  if (typeof op !== 'number' || !Number.isInteger(op)) return { ...refuse('unknown-opcode', 4001, 'the payload has no integer op'), parsed };
  if (!CLIENT_OPCODES.has(op)) return { ...refuse('unknown-opcode', 4001, `op ${op} is not an opcode a client may send`), parsed };
  return { ok: true, op, d: parsed['d'], payload: parsed };
};

/** An accepted Identify. */
export interface IdentifyRequest {
  readonly ok: true;
  /** `[id, total]`, or undefined when the field was absent (then the session is shard [0, 1]). */
  readonly shard: readonly [number, number] | undefined;
  readonly intents: number;
}

/** What the Identify check needs to know of the emulator's options. */
export interface IdentifyRules {
  readonly token: string;
  readonly privilegedIntents: number;
  readonly requireSharding: boolean;
}

/** Whether a client token matches (Discord also takes it with a `Bot ` prefix). */
export const tokenMatches = (sent: unknown, token: string): boolean => sent === token || sent === `Bot ${token}`;

/** Checks an Identify `d`: 4001 shape, 4004 token, 4011/4010 shard, 4013/4014 intents. */
export const checkIdentify = (d: unknown, rules: IdentifyRules): IdentifyRequest | Refusal => {
  if (!isRecord(d)) return refuse('invalid-payload', 4001, 'Identify d is not an object');
  const props = d['properties'];
  if (!isRecord(props) || ['os', 'browser', 'device'].some((k) => typeof props[k] !== 'string')) {
    return refuse('invalid-payload', 4001, 'Identify d.properties must hold the strings os, browser and device');
  }
  const large = d['large_threshold'];
  if (large !== undefined && (typeof large !== 'number' || large < 50 || large > 250)) {
    return refuse('invalid-payload', 4001, 'Identify d.large_threshold must be between 50 and 250');
  }
  if (!tokenMatches(d['token'], rules.token)) return refuse('authentication-failed', 4004, 'Identify d.token is not the bot token');
  const shard = d['shard'];
  let pair: readonly [number, number] | undefined;
  if (shard === undefined || shard === null) {
    if (rules.requireSharding) return refuse('sharding-required', 4011, 'this bot must identify with a shard field');
  } else {
    const [id, total] = Array.isArray(shard) ? (shard as unknown[]) : [];
    if (!Array.isArray(shard) || shard.length !== 2 || !Number.isInteger(id) || !Number.isInteger(total)) {
      return refuse('invalid-shard', 4010, 'Identify d.shard must be [shard_id, num_shards]');
    }
    const [i, n] = [id as number, total as number];
    if (n < 1 || i < 0 || i >= n) return refuse('invalid-shard', 4010, `invalid shard [${i}, ${n}]: need 0 <= shard_id < num_shards`);
    pair = [i, n];
  }
  const intents = d['intents'];
  if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0) {
    return refuse('invalid-intents', 4013, 'Identify d.intents must be a non-negative integer');
  }
  if ((intents & ~KNOWN_INTENTS) !== 0 || intents > 0x7fffffff) {
    return refuse('invalid-intents', 4013, `unknown intent bits ${intents & ~KNOWN_INTENTS}`);
  }
  const refused = intents & PRIVILEGED_INTENTS & ~rules.privilegedIntents;
  if (refused !== 0) return refuse('disallowed-intents', 4014, `privileged intents ${refused} are not enabled for this application`);
  return { ok: true, shard: pair, intents };
};

/** An accepted Resume (the session itself is checked by the session store). */
export interface ResumeRequest {
  readonly ok: true;
  readonly sessionId: string;
  /** The last sequence the client saw (null is taken as 0). */
  readonly seq: number;
}

/** Checks a Resume `d`: 4001 shape, 4004 token. */
export const checkResume = (d: unknown, token: string): ResumeRequest | Refusal => {
  if (!isRecord(d)) return refuse('invalid-payload', 4001, 'Resume d is not an object');
  const sessionId = d['session_id'];
  const seq = d['seq'] ?? 0;
  if (typeof sessionId !== 'string') return refuse('invalid-payload', 4001, 'Resume d.session_id must be a string');
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0) return refuse('invalid-payload', 4001, 'Resume d.seq must be an integer or null');
  if (!tokenMatches(d['token'], token)) return refuse('authentication-failed', 4004, 'Resume d.token is not the bot token');
  return { ok: true, sessionId, seq };
};

/** A copy of a parsed payload with `d.token` replaced by `'[redacted]'`. */
export const redact = (payload: unknown, token: string): unknown => {
  if (typeof payload === 'string') return token === '' ? payload : payload.split(token).join('[redacted]');
  if (!isRecord(payload)) return payload;
  const d = payload['d'];
  if (!isRecord(d) || !('token' in d)) return payload;
  return { ...payload, d: { ...d, token: '[redacted]' } };
};
