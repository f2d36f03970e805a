import { DisclusterError } from '../gateway/errors.js';
import { USER_AGENT } from '../gateway/user-agent.js';
import type { SessionStartLimit } from '../shard/identify-queue.js';
import { type GatewayBotInfo, readGatewayBotAnswer } from './gateway-bot-answer.js';

/** Discord's HTTP API, version 10. */
export const DISCORD_API_BASE = 'https://discord.com/api/v10';

/** Options of `fetchGatewayBot`. */
export interface FetchGatewayBotOptions {
  /** The bot token (sent as `Authorization: Bot …`, never logged or quoted). */
  readonly token: string;
  /** Default `https://discord.com/api/v10`; the emulator's `httpUrl` in tests. */
  readonly apiBase?: string;
  /** Give up after this long (default 10000 ms). */
  readonly timeoutMs?: number;
  /** Default the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch;
}

/** Words for the error codes a request that got no answer usually ends with. */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the host name did not resolve',
  EAI_AGAIN: 'the host name did not resolve',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'no answer in time',
  UND_ERR_CONNECT_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'the connection broke',
};

/** The first string `code` along an error's causes (undici wraps it, sometimes in an AggregateError). */
const codeOf = (error: unknown, depth = 0): string | undefined => {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  return codeOf(cause, depth + 1) ?? (Array.isArray(errors) ? codeOf(errors[0], depth + 1) : undefined);
};

/** Why a request never got an answer, from the error chain, without any header or body. */
const networkReason = (error: unknown): string => {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const code = codeOf(error);
  if (code === undefined) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
    return `the connection failed${/^[\w .:-]{1,60}$/.test(cause) ? ` (${cause})` : ''}`;
  }
  return `${NETWORK_CODES[code] ?? (code.includes('CERT') ? 'the TLS certificate was not trusted' : 'the connection failed')} (${code})`;
};

/**
 * `GET /gateway/bot`: the gateway URL, Discord's recommended shard count, the identify budget and
 * `max_concurrency`. Every failure is a `DisclusterError` whose message says what failed, where and
 * what to check: `DISCORD_UNREACHABLE` (network, DNS, timeout), `DISCORD_UNAUTHORIZED` (401/403),
 * `DISCORD_RATE_LIMITED` (429), `DISCORD_HTTP_ERROR` (other statuses), `DISCORD_INVALID_RESPONSE`.
 */
export const fetchGatewayBot = async (options: FetchGatewayBotOptions): Promise<GatewayBotInfo> => {
  const base = (options.apiBase ?? DISCORD_API_BASE).replace(/\/+$/, '');
  const where = `${base}/gateway/bot`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new DisclusterError('INVALID_OPTIONS', `timeoutMs must be a positive number, got ${String(timeoutMs)}`);
  if (typeof options.token !== 'string' || options.token.trim() === '') throw new DisclusterError('INVALID_OPTIONS', 'a bot token is required');
  let response: Response;
  let body: string;
  try {
    response = await (options.fetch ?? fetch)(where, {
      headers: { Authorization: `Bot ${options.token}`, 'User-Agent': USER_AGENT },
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await response.text();
  } catch (error) {
    throw new DisclusterError('DISCORD_UNREACHABLE', `GET ${where} failed: ${networkReason(error)}. Check the network, DNS and any proxy between this machine and ${new URL(where).host}`);
  }
  return readGatewayBotAnswer(where, { status: response.status, retryAfter: response.headers.get('retry-after'), body });
};

/** The `gateway` option of `createCluster`/`spawnCluster` from `GET /gateway/bot`'s answer. */
export const gatewayOptions = (info: GatewayBotInfo): { url: string; maxConcurrency: number; sessionStartLimit: SessionStartLimit } => ({
  url: info.url,
  maxConcurrency: info.sessionStartLimit.maxConcurrency,
  sessionStartLimit: { total: info.sessionStartLimit.total, remaining: info.sessionStartLimit.remaining, resetAfter: info.sessionStartLimit.resetAfter },
});
