/**
 * The gateway and the bot's logic in separate processes, through Redis Streams: a cluster publishes
 * its MESSAGE_CREATEs (`publishDispatches`), two worker processes in one consumer group read them
 * (`consumeDispatches`) and answer `!ping` through @discordjs/rest. One worker is killed while it
 * holds pings it has read and not answered; the other claims them once they have been idle for
 * `claimIdleMs`, and every ping is answered (at least once: a ping the dead worker had answered
 * but not acked would be answered twice; the `origin` of each entry lets a worker drop such repeats).
 *
 *   npx tsx examples/worker.ts                       # the emulator, and a redis-server it starts
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/worker.ts
 *
 * In your project a worker is just the `worker()` part: no shard, no gateway connection, deployed,
 * scaled and restarted freely. Import from '@discluster/cluster/broker' exactly as here.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCluster, fetchGatewayBot, gatewayOptions } from '@discluster/cluster';
import { consumeDispatches, publishDispatches } from '@discluster/cluster/broker';
import { createEmulator } from '@discluster/cluster/testing';
import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { Redis } from 'ioredis';
import { mergeMap } from 'rxjs';
import { message } from './bot.js';

/** What a worker tells the example's main process. */
type WorkerNews = { type: 'ready' } | { type: 'took'; id: string } | { type: 'answered'; id: string } | { type: 'claimed'; count: number };

const PINGS = 30;
const CLAIM_IDLE_MS = 1_000;

/** A worker: reads MESSAGE_CREATE in the group `pingers`, answers `!ping`, acks only once answered. */
const worker = (name: string, workMs: number) => {
  const tell = (news: WorkerNews) => process.send?.(news);
  const rest = new REST({ api: process.env.EXAMPLE_API!, version: '10' }).setToken('emulator-token');
  const answered = new Set<string>(); // recent origins: a repeat in this process is acked without a second answer
  consumeDispatches({
    redis: process.env.REDIS_URL!,
    keyPrefix: process.env.EXAMPLE_PREFIX!,
    group: 'pingers',
    consumer: name,
    events: ['MESSAGE_CREATE'],
    claimIdleMs: CLAIM_IDLE_MS,
    onReport: (report) => report.type === 'claimed' && tell({ type: 'claimed', count: report.count }),
  })
    .pipe(
      mergeMap(async (entry) => {
        const { d } = entry.payload;
        if (d.author.bot !== true && d.content.trim() === '!ping' && !answered.has(entry.origin)) {
          tell({ type: 'took', id: d.id });
          await new Promise((resolve) => setTimeout(resolve, workMs)); // the bot's work
          await rest.post(Routes.channelMessages(d.channel_id), { body: { content: `pong to ${d.id} (worker ${name})` } });
          answered.add(entry.origin);
          tell({ type: 'answered', id: d.id });
        }
        await entry.ack(); // only now: a crash before this line leaves the entry to another worker
      }, 4),
    )
    .subscribe();
  tell({ type: 'ready' });
};

const freePort = async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address !== null ? address.port : 0;
};

/** `REDIS_URL`, or a redis-server of its own on a free port (stopped at the end). */
const redisForExample = async (): Promise<{ url: string; stop: () => void }> => {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => {} };
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { retryStrategy: () => 20, maxRetriesPerRequest: null });
  probe.on('error', () => {});
  await probe.ping();
  probe.disconnect();
  return { url, stop: () => server.kill('SIGKILL') };
};

const main = async () => {
  const redis = await redisForExample();
  const keyPrefix = `example:${randomUUID()}:`;
  const gw = await createEmulator({ shards: 2, guilds: 4, identifyWindowMs: 100, heartbeatInterval: 1000 });
  const info = await fetchGatewayBot({ token: 'emulator-token', apiBase: gw.httpUrl });
  const cluster = createCluster({
    token: 'emulator-token',
    intents: 1 | (1 << 9) | (1 << 15),
    shardIds: [0, 1],
    totalShards: info.shards,
    gateway: gatewayOptions(info),
    timing: { identifyWindowMs: 100, identifyMarginMs: 25 },
  });
  const publisher = publishDispatches(cluster, { redis: redis.url, events: ['MESSAGE_CREATE'], keyPrefix });
  await cluster.connect();

  const workers = new Map<string, ChildProcess>();
  const took = new Map<string, Set<string>>();
  const answers = new Map<string, string[]>(); // ping id → workers that answered it
  let claimed = 0;
  const start = (name: string, workMs: number) =>
    new Promise<void>((ready) => {
      const child = fork(fileURLToPath(import.meta.url), ['worker', name, String(workMs)], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, REDIS_URL: redis.url, EXAMPLE_PREFIX: keyPrefix, EXAMPLE_API: gw.rest.api },
      });
      workers.set(name, child);
      took.set(name, new Set());
      child.on('message', (news: WorkerNews) => {
        if (news.type === 'ready') ready();
        else if (news.type === 'took') took.get(name)!.add(news.id);
        else if (news.type === 'answered') answers.set(news.id, [...(answers.get(news.id) ?? []), name]);
        else claimed += news.count;
      });
    });
  await Promise.all([start('a', 400), start('b', 20)]); // a is slow: it holds pings when it is killed

  const guilds = gw.guilds.map((guild) => ({ id: guild.id, channel: guild.textChannelIds[0]!, shardId: Number((BigInt(guild.id) >> 22n) % 2n) }));
  const sent: string[] = [];
  let killedHolding = -1;
  for (let n = 0; n < PINGS; n++) {
    const guild = guilds[n % guilds.length]!;
    const ping = message(guild.id, n % 3 === 2 ? `hello ${n}` : '!ping', 1_000 + n, guild.channel);
    if (ping.content === '!ping') sent.push(ping.id);
    gw.dispatch(guild.shardId, 'MESSAGE_CREATE', ping);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a steady stream of messages
    const heldByA = [...took.get('a')!].filter((id) => !answers.has(id));
    if (killedHolding < 0 && heldByA.length >= 2) {
      workers.get('a')!.kill('SIGKILL'); // no ack, no goodbye: its pending entries stay in the group
      killedHolding = heldByA.length;
      console.log(`worker a killed mid-stream holding ${killedHolding} pings it had read and not answered`);
    }
  }
  if (killedHolding < 0) {
    workers.get('a')!.kill('SIGKILL');
    console.log('worker a killed at the end of the stream');
  }

  // Every ping answered, the dead worker's ones by b once they were idle for claimIdleMs.
  const deadline = Date.now() + 30_000;
  while (sent.some((id) => !answers.has(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const answeredTwice = sent.filter((id) => (answers.get(id)?.length ?? 0) > 1).length;
  const byB = sent.filter((id) => took.get('a')!.has(id) && answers.get(id)?.includes('b')).length;
  console.log(`worker b claimed ${claimed} entries and answered ${byB} pings worker a had taken`);
  console.log(`pings: ${sent.length} sent, ${sent.filter((id) => answers.has(id)).length} answered, ${answeredTwice} answered twice, ${sent.filter((id) => !answers.has(id)).length} lost`);
  console.log(`the emulator made ${gw.rest.messages.length} messages through REST`);
  const stats = publisher.stats();
  console.log(`published ${stats.published}, dropped ${stats.dropped}`);

  for (const child of workers.values()) child.kill('SIGKILL');
  await publisher.close();
  await cluster.shutdown();
  await gw.close();
  redis.stop();
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === 'worker') worker(process.argv[3]!, Number(process.argv[4]));
  else await main();
}
