import test from 'ava';
import { DiscordAPIError, REST, type RateLimitData } from '@discordjs/rest';
import { Routes, type APIMessage } from 'discord-api-types/v10';
import type { Emulator, HttpRecord } from '../../src/testing/index.js';
import { createEmulator } from '../../src/testing/index.js';
import { activeResources } from '../helpers/collect.js';
import { emulator, ready, TOKEN } from './helpers.js';

/** A @discordjs/rest client on the emulator, as a bot would make one. */
const restOf = (gw: Emulator, token = TOKEN) => new REST({ api: gw.rest.api, version: '10' }).setToken(token);

const httpRecords = (gw: Emulator) => gw.records.filter((r): r is HttpRecord => r.kind === 'http');

const post = (gw: Emulator, channelId: string, body: unknown, token = TOKEN) =>
  fetch(`${gw.httpUrl}/api/v10/channels/${channelId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bot ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

// Serial tests run before the concurrent ones, so no other emulator of this file is alive.
test.serial('close() after REST traffic (keep-alive sockets of @discordjs/rest, a request cut short) leaves no handle or timer behind', async (t) => {
  const before = activeResources();
  const gw = await createEmulator({ guilds: 1 });
  const channelId = gw.guilds[0]!.textChannelIds[0]!;
  const rest = new REST({ api: gw.rest.api, version: '10' }).setToken(TOKEN);
  gw.rest.inject429({ retryAfterMs: 20 });
  await rest.post(Routes.channelMessages(channelId), { body: { content: 'one' } });
  await rest.post(Routes.channelMessages(channelId), { body: { content: 'two' } });
  // a request in flight whose body never ends, when the emulator closes
  const controller = new AbortController();
  const hanging = fetch(`${gw.httpUrl}/api/v10/channels/${channelId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bot ${TOKEN}`, 'content-type': 'application/json' },
    body: new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"content":')) }),
    duplex: 'half',
    signal: controller.signal,
  } as RequestInit).catch((error: unknown) => error);
  await gw.waitFor((r) => r.kind === 'http' && r.status === 200 && gw.rest.messages.length === 2);
  await gw.close();
  t.true((await hanging) instanceof Error);
  controller.abort();
  rest.clearHashSweeper();
  rest.clearHandlerSweeper();
  t.is(gw.rest.messages.length, 2);
  // the client's side of a socket the emulator destroyed closes when it hears of it: wait for that, not for a time
  const deadline = performance.now() + 5000;
  const same = () => JSON.stringify(activeResources()) === JSON.stringify(before);
  while (!same() && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(activeResources(), before);
});

test('POST /channels/:id/messages through @discordjs/rest: the message comes back, is recorded, and its MESSAGE_CREATE reaches the shard owning the guild', async (t) => {
  const gw = await emulator(t, { guilds: 4, identifyWindowMs: 0 });
  const shard0 = await ready(gw.url, TOKEN, [0, 2]);
  const shard1 = await ready(gw.url, TOKEN, [1, 2]);
  const guild = gw.guildsOf(1, 2)[0]!;
  const channelId = guild.textChannelIds[1]!;
  const before = Date.now();
  const message = (await restOf(gw).post(Routes.channelMessages(channelId), { body: { content: 'pong', nonce: '77' } })) as APIMessage & { guild_id: string };
  t.like(message, { channel_id: channelId, guild_id: guild.id, content: 'pong', nonce: '77', type: 0, author: { username: 'Emulator Bot', bot: true } });
  t.regex(message.id, /^\d{17,20}$/);
  t.true((BigInt(message.id) >> 22n) + 1_420_070_400_000n >= BigInt(before));
  t.true(Date.parse(message.timestamp) >= before - 1);
  t.is(gw.rest.messages.length, 1);
  t.deepEqual(gw.rest.messages[0]!.message, message);
  t.is(gw.rest.messages[0]!.shardId, 1);
  const echo = await shard1.client.frame((f) => f.t === 'MESSAGE_CREATE');
  t.like(echo.d, { id: message.id, channel_id: channelId, guild_id: guild.id, content: 'pong', author: { id: message.author.id } });
  t.truthy(echo.d.member);
  t.false(shard0.client.frames.some((f) => f.t === 'MESSAGE_CREATE'));
  t.like(httpRecords(gw).at(-1), { method: 'POST', path: `/api/v10/channels/${channelId}/messages`, status: 200 });
  await shard0.client.close();
  await shard1.client.close();
});

test('every answer of the route carries Discord rate-limit headers; past the limit a 429 with Retry-After and the JSON body', async (t) => {
  const gw = await emulator(t, { guilds: 1, restLimit: { count: 2, windowMs: 60_000 } });
  const channelId = gw.guilds[0]!.textChannelIds[0]!;
  const sentAt = Date.now();
  const first = await post(gw, channelId, { content: 'a' });
  const answeredAt = Date.now();
  t.is(first.status, 200);
  t.is(first.headers.get('x-ratelimit-limit'), '2');
  t.is(first.headers.get('x-ratelimit-remaining'), '1');
  t.truthy(first.headers.get('x-ratelimit-bucket'));
  t.is(first.headers.get('x-ratelimit-reset-after'), '60.000'); // the first request opens the window
  const reset = Number(first.headers.get('x-ratelimit-reset')) * 1000;
  t.true(reset >= sentAt + 60_000 - 1 && reset <= answeredAt + 60_000 + 1);
  t.is((await post(gw, channelId, { content: 'b' })).headers.get('x-ratelimit-remaining'), '0');
  const limited = await post(gw, channelId, { content: 'c' });
  t.is(limited.status, 429);
  t.is(limited.headers.get('x-ratelimit-remaining'), '0');
  t.is(limited.headers.get('x-ratelimit-scope'), 'user');
  const body = (await limited.json()) as { message: string; retry_after: number; global: boolean };
  t.like(body, { message: 'You are being rate limited.', global: false });
  t.true(body.retry_after > 0 && body.retry_after <= 60);
  t.is(Number(limited.headers.get('retry-after')), body.retry_after);
  // the bucket is per channel
  t.is((await post(gw, gw.guilds[0]!.textChannelIds[1]!, { content: 'd' })).status, 200);
  t.is(gw.rest.messages.length, 3);
});

test('@discordjs/rest waits out a full bucket on its own: no 429 reaches the emulator, and the third message waits for the reset', async (t) => {
  const gw = await emulator(t, { guilds: 1, restLimit: { count: 2, windowMs: 3000 } });
  const channelId = gw.guilds[0]!.textChannelIds[0]!;
  const rest = restOf(gw);
  const waited: RateLimitData[] = [];
  rest.on('rateLimited', (info) => waited.push(info));
  for (const content of ['1', '2', '3']) await rest.post(Routes.channelMessages(channelId), { body: { content } });
  t.deepEqual(httpRecords(gw).map((r) => r.status), [200, 200, 200]);
  t.is(waited.length, 1);
  const [a, , c] = gw.rest.messages;
  t.true(c!.at - a!.at >= 3000 - 5);
});

test('a 401 with Discord JSON for a missing or wrong token; @discordjs/rest sees a DiscordAPIError 401; nothing is made', async (t) => {
  const gw = await emulator(t, { guilds: 1, token: 'secret' });
  const channelId = gw.guilds[0]!.textChannelIds[0]!;
  for (const token of ['nope', '']) {
    const res = await post(gw, channelId, { content: 'x' }, token);
    t.is(res.status, 401);
    t.deepEqual(await res.json(), { message: '401: Unauthorized', code: 0 });
  }
  const error = await t.throwsAsync(restOf(gw, 'wrong').post(Routes.channelMessages(channelId), { body: { content: 'x' } }), { instanceOf: DiscordAPIError });
  t.is(error.status, 401);
  t.is(gw.rest.messages.length, 0);
  t.false(JSON.stringify(gw.records).includes('secret'));
});

test('an injected 429 is waited out and retried by @discordjs/rest: the emulator records the 429, then the success at least Retry-After later', async (t) => {
  const gw = await emulator(t, { guilds: 1 });
  const channelId = gw.guilds[0]!.textChannelIds[0]!;
  gw.rest.inject429({ retryAfterMs: 300 });
  t.is(gw.rest.pending429, 1);
  const message = (await restOf(gw).post(Routes.channelMessages(channelId), { body: { content: 'after the wait' } })) as APIMessage;
  t.is(message.content, 'after the wait');
  const [limited, ok] = httpRecords(gw);
  t.like(limited, { method: 'POST', status: 429 });
  t.like(ok, { method: 'POST', status: 200 });
  t.true(ok!.at - limited!.at >= 300 - 5);
  t.is(gw.rest.pending429, 0);
  t.is(gw.rest.messages.length, 1);
});

test('an injected global 429 carries X-RateLimit-Global and global: true; @discordjs/rest waits it out too', async (t) => {
  const gw = await emulator(t, { guilds: 1 });
  const channelId = gw.guilds[0]!.textChannelIds[0]!;
  gw.rest.inject429({ retryAfterMs: 250, global: true });
  const raw = await post(gw, channelId, { content: 'x' });
  t.is(raw.status, 429);
  t.is(raw.headers.get('x-ratelimit-global'), 'true');
  t.is(raw.headers.get('x-ratelimit-scope'), 'global');
  t.deepEqual(await raw.json(), { message: 'You are being rate limited.', retry_after: 0.25, global: true });
  gw.rest.inject429({ retryAfterMs: 250, global: true, count: 2 });
  await restOf(gw).post(Routes.channelMessages(channelId), { body: { content: 'y' } });
  t.deepEqual(httpRecords(gw).map((r) => r.status), [429, 429, 429, 200]);
  t.true(httpRecords(gw)[3]!.at - httpRecords(gw)[1]!.at >= 500 - 10);
  t.throws(() => gw.rest.inject429({ retryAfterMs: -1 }), { instanceOf: RangeError });
  t.throws(() => gw.rest.inject429({ retryAfterMs: 1, count: 0 }), { instanceOf: RangeError });
});

test('an injected 429 applies to GET /gateway/bot too, after the token check', async (t) => {
  const gw = await emulator(t);
  gw.rest.inject429({ retryAfterMs: 1000 });
  t.is((await fetch(`${gw.httpUrl}/api/v10/gateway/bot`)).status, 401);
  const res = await fetch(`${gw.httpUrl}/api/v10/gateway/bot`, { headers: { authorization: `Bot ${TOKEN}` } });
  t.is(res.status, 429);
  t.is(res.headers.get('retry-after'), '1.000');
  t.is((await fetch(`${gw.httpUrl}/api/v10/gateway/bot`, { headers: { authorization: `Bot ${TOKEN}` } })).status, 200);
});

test('unknown routes are 404 JSON; a wrong method 405; unknown channels, empty, oversized and non-JSON bodies get Discord error codes', async (t) => {
  const gw = await emulator(t, { guilds: 1 });
  const channelId = gw.guilds[0]!.textChannelIds[0]!;
  for (const path of ['/api/v10/users/@me', '/api/v10/channels/1/messages/2', '/api/v9/channels/1/messages', '/nowhere']) {
    const res = await fetch(`${gw.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bot ${TOKEN}` } });
    t.is(res.status, 404, path);
    t.deepEqual(await res.json(), { message: '404: Not Found', code: 0 });
  }
  t.is((await fetch(`${gw.httpUrl}/api/v10/channels/${channelId}/messages`, { headers: { authorization: `Bot ${TOKEN}` } })).status, 405);
  const answers = async (channel: string, body: unknown) => {
    const res = await post(gw, channel, body);
    return { status: res.status, body: (await res.json()) as { code: number } };
  };
  t.like(await answers('123456789012345678', { content: 'x' }), { status: 404, body: { message: 'Unknown Channel', code: 10003 } });
  t.like(await answers(channelId, { content: '  ' }), { status: 400, body: { code: 50006 } });
  t.like(await answers(channelId, '{"content":'), { status: 400, body: { code: 50109 } });
  t.like(await answers(channelId, { content: 'x'.repeat(2001) }), { status: 400, body: { code: 50035 } });
  t.like(await answers(channelId, { content: 42 }), { status: 400, body: { code: 50035 } });
  t.is(gw.rest.messages.length, 0);
  await t.throwsAsync(restOf(gw).post(Routes.channelMessages('123456789012345678'), { body: { content: 'x' } }), { instanceOf: DiscordAPIError, message: /Unknown Channel/ });
});

test('a message to a guild whose shard has no session is made but delivered nowhere', async (t) => {
  const gw = await emulator(t, { guilds: 1 });
  const res = await post(gw, gw.guilds[0]!.textChannelIds[0]!, { content: 'nobody home' });
  t.is(res.status, 200);
  t.is(gw.rest.messages[0]!.shardId, undefined);
});
