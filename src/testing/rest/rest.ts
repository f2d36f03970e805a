/**
 * The emulator's REST routes under `/api/v10`: what a bot's reply path needs, answered as Discord
 * does. `POST /channels/:id/messages` checks the token, takes from the channel's rate-limit
 * bucket, makes the message, records it and sends its MESSAGE_CREATE to the shard that owns the
 * channel's guild. Every answer carries Discord's rate-limit headers; tests can inject 429s.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordLog } from '../log/record-log.js';
import { rateLimitHeaders, takeFromBucket, tooManyRequests, type BucketRule, type BucketState } from './rate-limit.js';
import { checkMessageBody, createdMessage, isRestError, messageCreateDispatch, type EmulatorMessage, type RestError } from './rest-message.js';
import { snowflake } from '../world/snowflake.js';
import type { World } from '../world/world.js';

/** What the REST routes need from the emulator. */
export interface RestContext {
  readonly token: string;
  readonly rule: BucketRule;
  readonly world: World;
  readonly log: RecordLog;
  /** Sends a MESSAGE_CREATE through the emulator's dispatch path; returns the shard it went to, or undefined when none could take it. */
  deliver(guildId: string | undefined, d: unknown): number | undefined;
}

/** A 429 to answer instead of the next REST request(s). */
export interface Inject429Options {
  /** `Retry-After` and `retry_after`, ms. */
  readonly retryAfterMs: number;
  /** A global rate limit (`X-RateLimit-Global`, `global: true`) rather than a per-route one. Default false. */
  readonly global?: boolean;
  /** How many requests in a row get it. Default 1. */
  readonly count?: number;
}

/** A message made through REST, as tests read it from `gw.rest.messages`. */
export interface RestMessageRecord {
  /** `performance.now()` when it was made. */
  readonly at: number;
  readonly message: EmulatorMessage;
  /** The shard its MESSAGE_CREATE was sent to; undefined when no shard had a session. */
  readonly shardId: number | undefined;
}

/** The REST side of the emulator, as `gw.rest`. */
export interface EmulatorRest {
  /** The `api` option of @discordjs/rest: `http://127.0.0.1:PORT/api` (the version is added by the client). */
  readonly api: string;
  /** Every message made through `POST /channels/:id/messages`, oldest first. */
  readonly messages: readonly RestMessageRecord[];
  /** Answers the next `count` authenticated API requests (REST routes and `GET /gateway/bot`) with a 429. */
  inject429(options: Inject429Options): void;
  /** Injected 429s not yet answered. */
  readonly pending429: number;
}

/** The largest request body read, bytes. */
const MAX_BODY_BYTES = 1 << 20;
/** `X-RateLimit-Bucket` of the create-message route (Discord's are opaque hashes). */
const MESSAGES_BUCKET = 'emulator-channel-messages';
const CREATE_MESSAGE = /^\/api\/v10\/channels\/(\d{1,20})\/messages\/?$/;

type Answer = { readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> };

const send = (res: ServerResponse, { status, body, headers = {} }: Answer): number => {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return status;
};

const notFound: Answer = { status: 404, body: { message: '404: Not Found', code: 0 } };

/** Reads a body of at most `MAX_BODY_BYTES`: the bytes, 'too-large', or undefined if the request went away. */
const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large' | undefined> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined)); // after 'end' this changes nothing
  });

const parseJson = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
};

/** The REST routes: one per emulator. */
export class RestRoutes {
  readonly messages: RestMessageRecord[] = [];
  private readonly injected: { retryAfterMs: number; global: boolean }[] = [];
  private readonly buckets = new Map<string, BucketState>();
  private channels: Map<string, string> | undefined;
  private increment = 0;

  constructor(private readonly ctx: RestContext) {}

  /** Queues injected 429s (see {@link EmulatorRest.inject429}). */
  inject429({ retryAfterMs, global = false, count = 1 }: Inject429Options): void {
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) throw new RangeError(`inject429: retryAfterMs must be a number >= 0, got ${retryAfterMs}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`inject429: count must be an integer >= 1, got ${count}`);
    for (let i = 0; i < count; i++) this.injected.push({ retryAfterMs, global });
  }

  /** Injected 429s not yet answered. */
  get pending429(): number {
    return this.injected.length;
  }

  /** Answers an injected 429 if one is queued; returns its status, or undefined when none is. */
  answerInjected(res: ServerResponse): number | undefined {
    const next = this.injected.shift();
    if (next === undefined) return undefined;
    const limited = tooManyRequests(next.retryAfterMs, next.global);
    return send(res, { status: 429, ...limited });
  }

  /** Handles a request whose path is not a gateway route, and records it. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const record = (status: number) => this.ctx.log.push({ kind: 'http', at: performance.now(), method, path, status });
    const channelId = CREATE_MESSAGE.exec(new URL(path, 'http://emulator').pathname)?.[1];
    if (channelId === undefined) return void record(send(res, notFound));
    if (method !== 'POST') return void record(send(res, { status: 405, body: { message: '405: Method Not Allowed', code: 0 } }));
    if (req.headers.authorization !== `Bot ${this.ctx.token}`) return void record(send(res, { status: 401, body: { message: '401: Unauthorized', code: 0 } }));
    const injected = this.answerInjected(res);
    if (injected !== undefined) return void record(injected);
    void this.createMessage(req, channelId).then((answer) => {
      if (answer !== undefined && !res.destroyed) record(send(res, answer));
    });
  }

  private async createMessage(req: IncomingMessage, channelId: string): Promise<Answer | undefined> {
    const { rule } = this.ctx;
    const key = `POST /channels/${channelId}/messages`;
    const verdict = takeFromBucket(this.buckets.get(key), rule, performance.now());
    this.buckets.set(key, verdict.state);
    const headers = rateLimitHeaders(rule, verdict, MESSAGES_BUCKET, Date.now());
    if (!verdict.allowed) {
      const limited = tooManyRequests(verdict.resetAfterMs, false);
      req.resume();
      return { status: 429, body: limited.body, headers: { ...headers, ...limited.headers } };
    }
    const raw = await readBody(req);
    if (raw === undefined) return undefined;
    if (raw === 'too-large') return { status: 413, body: { message: 'Request entity too large', code: 40005 }, headers };
    const body = checkMessageBody(parseJson(raw));
    if (isRestError(body)) return { ...body, headers };
    const guildId = this.guildOf(channelId);
    if (guildId === undefined) return { ...({ status: 404, body: { message: 'Unknown Channel', code: 10003 } } satisfies RestError), headers };
    const now = Date.now();
    const message = createdMessage(this.ctx.world.bot, snowflake(now, this.increment++), channelId, guildId, body, new Date(now).toISOString());
    const shardId = this.ctx.deliver(guildId, messageCreateDispatch(message, '2021-06-01T12:00:00.000000+00:00'));
    this.messages.push({ at: performance.now(), message, shardId });
    return { status: 200, body: message, headers };
  }

  /** The guild of a synthetic text channel, or undefined for a channel the bot cannot see. */
  private guildOf(channelId: string): string | undefined {
    this.channels ??= new Map(this.ctx.world.guilds.flatMap((g) => g.textChannelIds.map((id) => [id, g.id] as const)));
    return this.channels.get(channelId);
  }
}

/** The `gw.rest` view of the routes; `api` is read when asked (the server's URL is known once it listens). */
export const restHandle = (routes: RestRoutes, api: () => string): EmulatorRest => ({
  get api() {
    return api();
  },
  get messages() {
    return routes.messages;
  },
  inject429: (options) => routes.inject429(options),
  get pending429() {
    return routes.pending429;
  },
});
