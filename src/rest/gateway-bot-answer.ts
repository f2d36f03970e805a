import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DisclusterError } from '../gateway/errors.js';

const Count = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'NonNegativeInt');
const Positive = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1 && n <= 1024, 'IntFrom1To1024');

/** The body of a successful `GET /gateway/bot`, as Discord writes it. */
export const GatewayBotCodec = t.type({
  url: t.string,
  shards: Positive,
  session_start_limit: t.type({ total: Count, remaining: Count, reset_after: Count, max_concurrency: Positive }),
});

/** What `GET /gateway/bot` tells a bot, in this library's names. */
export interface GatewayBotInfo {
  /** The gateway URL to connect to (`wss://…`). */
  readonly url: string;
  /** Discord's recommended shard count for the bot now. */
  readonly shards: number;
  /** The daily identify budget and the identify concurrency (`max_concurrency`). */
  readonly sessionStartLimit: { readonly total: number; readonly remaining: number; readonly resetAfter: number; readonly maxConcurrency: number };
}

/** One HTTP answer, as much of it as the verdict needs. */
export interface HttpAnswer {
  readonly status: number;
  /** `Retry-After` in seconds, when the server sent one. */
  readonly retryAfter: string | null;
  readonly body: string;
}

const seconds = (answer: HttpAnswer): string => {
  const fromHeader = answer.retryAfter?.trim() ? Number(answer.retryAfter) : NaN;
  if (Number.isFinite(fromHeader) && fromHeader >= 0) return `${fromHeader} s`;
  try {
    const retry = (JSON.parse(answer.body) as { retry_after?: unknown }).retry_after;
    if (typeof retry === 'number' && Number.isFinite(retry)) return `${retry} s`;
  } catch {
    // no JSON body: say nothing of the wait
  }
  return 'an unknown time';
};

/**
 * Judges the answer to `GET {where}`: the bot's gateway info, or a `DisclusterError` that says
 * what failed, where and what to check. Pure; never quotes the request's headers (the token).
 */
export const readGatewayBotAnswer = (where: string, answer: HttpAnswer): GatewayBotInfo => {
  const failed = `GET ${where} answered ${answer.status}`;
  if (answer.status === 401 || answer.status === 403) {
    throw new DisclusterError('DISCORD_UNAUTHORIZED', `${failed}: the token was refused. Check DISCORD_TOKEN (the bot token from the developer portal, without "Bot ")`);
  }
  if (answer.status === 429) {
    throw new DisclusterError('DISCORD_RATE_LIMITED', `${failed}: rate limited, retry after ${seconds(answer)}. Wait before trying again; repeated refusals can get this IP blocked for an hour`);
  }
  if (answer.status < 200 || answer.status > 299) {
    const hint = answer.status >= 500 ? 'Discord is having trouble: try again later' : 'check the API base URL and version';
    throw new DisclusterError('DISCORD_HTTP_ERROR', `${failed}: ${hint}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    throw new DisclusterError('DISCORD_INVALID_RESPONSE', `${failed} with a body that is not JSON: is the API base URL right?`);
  }
  const decoded = GatewayBotCodec.decode(body);
  if (isLeft(decoded)) {
    const paths = decoded.left.map((e) => e.context.map((c) => c.key).filter(Boolean).join('.') || '(body)');
    throw new DisclusterError('DISCORD_INVALID_RESPONSE', `${failed} with an unexpected body (bad or missing: ${[...new Set(paths)].join(', ')})`);
  }
  const { url, shards, session_start_limit: limit } = decoded.right;
  return { url, shards, sessionStartLimit: { total: limit.total, remaining: limit.remaining, resetAfter: limit.reset_after, maxConcurrency: limit.max_concurrency } };
};
