import test from 'ava';
import fc from 'fast-check';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDisclusterError, type ErrorCode } from '../../src/gateway/errors.js';
import { fetchGatewayBot, gatewayOptions, readGatewayBotAnswer } from '../../src/rest/index.js';
import { createEmulator } from '../../src/testing/index.js';

const TOKEN = 'rest-secret-token-Yv42';

/** A one-route HTTP server on loopback, closed when the test ends. */
const serve = async (t: { teardown(fn: () => unknown): void }, listener: RequestListener): Promise<string> => {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v10`;
};

const refusal = async (promise: Promise<unknown>, code: ErrorCode): Promise<string> => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isDisclusterError(error, code)) throw new Error(`expected ${code}, got ${String(error)}`);
  if (error.message.includes(TOKEN)) throw new Error('the token is in the message');
  return error.message;
};

test('the emulator: the answer in the library’s names, and the gateway option made from it', async (t) => {
  const gw = await createEmulator({ token: TOKEN, shards: 3, maxConcurrency: 2 });
  t.teardown(() => gw.close());
  const info = await fetchGatewayBot({ token: TOKEN, apiBase: gw.httpUrl });
  t.is(info.url, gw.url);
  t.is(info.shards, 3);
  t.is(info.sessionStartLimit.maxConcurrency, 2);
  const gateway = gatewayOptions(info);
  t.deepEqual(gateway, { url: gw.url, maxConcurrency: 2, sessionStartLimit: { total: info.sessionStartLimit.total, remaining: info.sessionStartLimit.remaining, resetAfter: info.sessionStartLimit.resetAfter } });
  const message = await refusal(fetchGatewayBot({ token: 'wrong-token', apiBase: gw.httpUrl }), 'DISCORD_UNAUTHORIZED');
  t.regex(message, /answered 401: the token was refused\. Check DISCORD_TOKEN/);
});

test('429, 5xx, a body that is not JSON and one of the wrong shape each get their own clear error', async (t) => {
  const answers: Record<string, [number, Record<string, string>, string]> = {
    '/limited': [429, { 'retry-after': '3' }, JSON.stringify({ message: 'You are being rate limited.', retry_after: 3.2, global: true })],
    '/limited-body': [429, {}, JSON.stringify({ retry_after: 1.5 })],
    '/broken': [502, {}, 'bad gateway'],
    '/html': [200, {}, '<html>captive portal</html>'],
    '/shape': [200, {}, JSON.stringify({ url: 'wss://x', shards: 0, session_start_limit: { total: 1000, remaining: -1, reset_after: 0, max_concurrency: 1 } })],
  };
  const base = await serve(t, (req, res) => {
    const [status, headers, body] = answers[req.url!.replace('/api/v10', '').replace('/gateway/bot', '')] ?? [404, {}, ''];
    res.writeHead(status, headers).end(body);
  });
  const at = (name: string) => base.replace('/api/v10', `/api/v10${name}`);
  t.regex(await refusal(fetchGatewayBot({ token: TOKEN, apiBase: at('/limited') }), 'DISCORD_RATE_LIMITED'), /answered 429: rate limited, retry after 3 s/);
  t.regex(await refusal(fetchGatewayBot({ token: TOKEN, apiBase: at('/limited-body') }), 'DISCORD_RATE_LIMITED'), /retry after 1\.5 s/);
  t.regex(await refusal(fetchGatewayBot({ token: TOKEN, apiBase: at('/broken') }), 'DISCORD_HTTP_ERROR'), /answered 502: Discord is having trouble/);
  t.regex(await refusal(fetchGatewayBot({ token: TOKEN, apiBase: at('/html') }), 'DISCORD_INVALID_RESPONSE'), /not JSON/);
  t.regex(await refusal(fetchGatewayBot({ token: TOKEN, apiBase: at('/shape') }), 'DISCORD_INVALID_RESPONSE'), /bad or missing: shards, session_start_limit\.remaining/);
});

test('no answer: a closed port and a server that never answers are DISCORD_UNREACHABLE, saying why', async (t) => {
  const closed = await serve(t, () => {});
  const port = new URL(closed).port;
  // a port nothing listens on: take one, then close it again
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const freePort = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  t.regex(await refusal(fetchGatewayBot({ token: TOKEN, apiBase: `http://127.0.0.1:${freePort}/api/v10` }), 'DISCORD_UNREACHABLE'), /refused \(ECONNREFUSED\)\. Check the network/);
  t.regex(await refusal(fetchGatewayBot({ token: TOKEN, apiBase: `http://127.0.0.1:${port}/api/v10`, timeoutMs: 150 }), 'DISCORD_UNREACHABLE'), /no answer in time/);
});

test('absurd options are refused before any request', async (t) => {
  let called = 0;
  const fetchSpy: typeof fetch = async () => {
    called++;
    return new Response('{}');
  };
  await refusal(fetchGatewayBot({ token: '', fetch: fetchSpy }), 'INVALID_OPTIONS');
  await refusal(fetchGatewayBot({ token: TOKEN, timeoutMs: -1, fetch: fetchSpy }), 'INVALID_OPTIONS');
  t.is(called, 0);
});

test('property: any status, Retry-After and body gives either a valid answer or a DisclusterError, never another failure', (t) => {
  const body = fc.oneof(
    fc.string(),
    fc.json(),
    fc.record({ url: fc.string(), shards: fc.integer(), session_start_limit: fc.record({ total: fc.integer(), remaining: fc.integer(), reset_after: fc.integer(), max_concurrency: fc.integer() }) }).map((v) => JSON.stringify(v)),
  );
  fc.assert(
    fc.property(fc.integer({ min: 100, max: 599 }), fc.option(fc.string(), { nil: null }), body, (status, retryAfter, text) => {
      try {
        const info = readGatewayBotAnswer('https://discord.test/api/v10/gateway/bot', { status, retryAfter, body: text });
        return status >= 200 && status < 300 && info.shards >= 1 && info.sessionStartLimit.maxConcurrency >= 1 && info.sessionStartLimit.remaining >= 0;
      } catch (error) {
        return isDisclusterError(error) && error.message.startsWith(`GET https://discord.test/api/v10/gateway/bot answered ${status}`);
      }
    }),
  );
  t.pass();
});
