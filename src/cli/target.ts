import { DisclusterError } from '../gateway/errors.js';
import { DISCORD_API_BASE } from '../rest/gateway-bot.js';
import { defaultIdentifyMargin } from '../shard/identify-queue.js';
import { createEmulator, type Emulator } from '../testing/index.js';

/** Where the demo connects: the embedded emulator, or real Discord when a token is given. */
export interface Target {
  readonly kind: 'emulator' | 'discord';
  /** Base of the HTTP API: `GET {apiBase}/gateway/bot`. */
  readonly apiBase: string;
  readonly token: string;
  readonly intents: number;
  /** Identify window the gateway enforces. */
  readonly identifyWindowMs: number;
  /** Added to each window against jitter: Discord's network, or a loaded machine running the emulator. */
  readonly identifyMarginMs: number;
  /** Shards to run, or undefined for Discord's recommendation. */
  readonly shards: number | undefined;
  /** The emulator, when the target is the emulator (for traffic and faults). */
  readonly emulator: Emulator | null;
}

/** GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT. */
const DEFAULT_INTENTS = 1 | (1 << 9) | (1 << 15);

/** The emulator's demo bot: 8 shards for the main cluster, a 9th for the fatal demo. */
export const DEMO_SHARDS = 9;

/** A whole number from the environment within bounds, or a clear error naming the variable. */
const wholeNumber = (env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined => {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new DisclusterError('INVALID_OPTIONS', `${name} must be a whole number from ${min} to ${max}`);
  return value;
};

/** The shard count the main cluster reshards to midway through the demo (every shard id in one cluster). */
export const DEMO_RESHARD_TO = 12;

/**
 * Resolves the target from the environment: `DISCORD_TOKEN` (and optional `DISCORD_INTENTS`,
 * `SHARDS`, `DISCORD_API_BASE`) means real Discord; otherwise an emulator is started on loopback.
 * Both are then used the same way: `GET /gateway/bot`, then the gateway URL it returns.
 */
export const resolveTarget = async (env: NodeJS.ProcessEnv): Promise<Target> => {
  const token = env.DISCORD_TOKEN?.trim();
  if (token) {
    return {
      kind: 'discord',
      apiBase: env.DISCORD_API_BASE?.trim() || DISCORD_API_BASE,
      token,
      intents: wholeNumber(env, 'DISCORD_INTENTS', 0, 2 ** 31 - 1) ?? DEFAULT_INTENTS,
      identifyWindowMs: 5_000,
      identifyMarginMs: defaultIdentifyMargin(5_000),
      shards: wholeNumber(env, 'SHARDS', 1, 100_000),
      emulator: null,
    };
  }
  const identifyWindowMs = 600;
  const emulator = await createEmulator({
    token: 'demo-token',
    shards: DEMO_SHARDS,
    maxConcurrency: 2,
    identifyWindowMs,
    heartbeatInterval: 1_500,
    // lenient with a client starved of CPU (a loaded machine): a lost session would lose events for real
    heartbeatTimeoutMs: 15_000,
    guilds: 36,
    // the app may use GUILD_MEMBERS and MESSAGE_CONTENT, not GUILD_PRESENCES: the fatal demo asks for it
    privilegedIntents: (1 << 1) | (1 << 15),
  });
  return { kind: 'emulator', apiBase: emulator.httpUrl, token: 'demo-token', intents: DEFAULT_INTENTS, identifyWindowMs, identifyMarginMs: 30, shards: 8, emulator };
};
