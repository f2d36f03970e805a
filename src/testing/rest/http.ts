/**
 * The emulator's HTTP side: `GET /gateway/bot` and `GET /gateway` (also under `/api/v10`),
 * answered like Discord, with a 401 JSON error for a missing or wrong `Authorization: Bot …`.
 * Every other path goes to the REST routes (rest.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordLog } from '../log/record-log.js';
import type { RestRoutes } from './rest.js';

/** What the handler needs from the emulator. */
export interface HttpContext {
  readonly token: string;
  readonly shards: number;
  readonly maxConcurrency: number;
  readonly log: RecordLog;
  gatewayUrl(): string;
  sessionStartLimit(): { total: number; remaining: number; reset_after: number };
  /** The REST routes: every path but the gateway ones, and injected 429s. */
  readonly rest?: RestRoutes;
}

const json = (res: ServerResponse, status: number, body: unknown): number => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return status;
};

/** Builds the request handler. */
export const httpHandler = (ctx: HttpContext) => (req: IncomingMessage, res: ServerResponse): void => {
  const path = new URL(req.url ?? '/', 'http://emulator').pathname.replace(/^\/api\/v\d+/, '').replace(/\/$/, '');
  const method = req.method ?? 'GET';
  if (ctx.rest !== undefined && path !== '/gateway' && path !== '/gateway/bot') return ctx.rest.handle(req, res);
  const status = ((): number => {
    if (path !== '/gateway' && path !== '/gateway/bot') return json(res, 404, { message: '404: Not Found', code: 0 });
    if (method !== 'GET') return json(res, 405, { message: '405: Method Not Allowed', code: 0 });
    if (path === '/gateway') return json(res, 200, { url: ctx.gatewayUrl() });
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bot ${ctx.token}`) return json(res, 401, { message: '401: Unauthorized', code: 0 });
    const injected = ctx.rest?.answerInjected(res);
    if (injected !== undefined) return injected;
    return json(res, 200, {
      url: ctx.gatewayUrl(),
      shards: ctx.shards,
      session_start_limit: { ...ctx.sessionStartLimit(), max_concurrency: ctx.maxConcurrency },
    });
  })();
  ctx.log.push({ kind: 'http', at: performance.now(), method, path: req.url ?? '/', status });
};
