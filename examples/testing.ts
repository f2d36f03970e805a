/**
 * How to test bot logic against the gateway emulator: real sockets on loopback, real gateway
 * rules, faults on demand, no Discord and no token.
 *
 *   npx tsx examples/testing.ts
 *
 * Written with node:assert so it runs as is; the same steps fit any test runner.
 */
import assert from 'node:assert/strict';
import { createCluster, ofType } from '@discluster/cluster';
import { createEmulator } from '@discluster/cluster/testing';
import { filter, firstValueFrom } from 'rxjs';
import { createBot, message } from './bot.js';

const gw = await createEmulator({ shards: 2, guilds: 2, identifyWindowMs: 50, heartbeatInterval: 500 });
const cluster = createCluster({
  token: 'emulator-token',
  intents: 1 | (1 << 9) | (1 << 15),
  shardIds: [0, 1],
  totalShards: 2,
  gateway: { url: gw.url, maxConcurrency: 1 },
  timing: { identifyWindowMs: 50, identifyMarginMs: 25, backoff: { initialMs: 10, maxMs: 50 } },
});
const replies: Array<[string, string]> = [];
const bot = createBot(cluster, async (channel, content) => void replies.push([channel, content]));
bot.pongs$.subscribe();
bot.perGuild$.subscribe(); // start counting now, as a bot would at startup
await cluster.connect();

// 1. `!ping` is answered in the channel it came from, naming the shard.
const [guild] = gw.guilds;
const shardId = Number((BigInt(guild!.id) >> 22n) % 2n);
const ponged = firstValueFrom(bot.pongs$);
gw.dispatch(shardId, 'MESSAGE_CREATE', message(guild!.id, '!ping', 1));
assert.equal(await ponged, `${guild!.id}0`);
assert.deepEqual(replies, [[`${guild!.id}0`, `pong (shard ${shardId})`]]);
console.log('ok - !ping is answered on the right channel');

// 2. Counting survives a dropped connection: the shard resumes and nothing is lost or counted twice.
const counted = firstValueFrom(bot.perGuild$.pipe(filter((counts) => counts.get(guild!.id) === 21)));
for (let n = 0; n < 20; n++) {
  if (n === 10) gw.drop(shardId);
  gw.dispatch(shardId, 'MESSAGE_CREATE', message(guild!.id, `hello ${n}`, 100 + n));
}
assert.equal((await counted).get(guild!.id), 21); // the !ping above, and these 20
assert.ok(gw.records.some((r) => r.kind === 'frame' && r.op === 6), 'the shard resumed');
console.log('ok - per-guild counts are exact across a dropped connection');

// 3. Messages from bots are ignored.
const person = message(guild!.id, 'from a person', 501);
const seen = firstValueFrom(cluster.dispatch$.pipe(ofType('MESSAGE_CREATE'), filter(({ d }) => d.id === person.id)));
gw.dispatch(shardId, 'MESSAGE_CREATE', { ...message(guild!.id, '!ping', 500), author: { id: '1', username: 'a bot', discriminator: '0', avatar: null, bot: true } });
gw.dispatch(shardId, 'MESSAGE_CREATE', person);
await seen;
assert.equal((await firstValueFrom(bot.perGuild$)).get(guild!.id), 22);
assert.equal(replies.length, 1);
console.log('ok - messages from bots are ignored');

await cluster.shutdown();
await gw.close();
console.log('3 passed, 0 failed');
