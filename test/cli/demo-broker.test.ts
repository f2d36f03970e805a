import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { REDIS_URL, skipReason } from '../redis/helpers.js';

const run = promisify(execFile);
const skipped = await skipReason();

(skipped === null ? test : test.skip)(`BROKER_REDIS_URL=… npm start publishes the forwarded events and shows published/s, pending and dropped${skipped === null ? '' : ` (skipped: ${skipped})`}`, async (t) => {
  t.timeout(150_000);
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const clear = async () => {
    const keys = await redis.keys('discluster-demo:*');
    if (keys.length > 0) await redis.del(...keys);
  };
  await clear();
  t.teardown(clear);
  const { stdout } = await run('npm', ['start', '--silent'], { env: { ...process.env, DEMO_SECONDS: '8', DISCORD_TOKEN: '', BROKER_REDIS_URL: REDIS_URL }, timeout: 140_000 });
  t.regex(stdout, /broker: \d+ published \(\d+\/s\), pending \d+, dropped \d+, Redis (up|down)/, 'the live line');
  const summary = /broker: (\d+) published to Redis Streams \(discluster-demo:<event>\), (\d+) dropped, (\d+) rejected, (\d+) batches/.exec(stdout);
  t.truthy(summary, 'the summary line');
  const [, published, dropped, rejected] = summary!.map(Number);
  t.true(published! > 0);
  t.is(dropped, 0);
  t.is(rejected, 0);
  t.true((await redis.xlen('discluster-demo:MESSAGE_CREATE')) > 0, 'entries in the MESSAGE_CREATE stream');
  t.regex(stdout, /every one arrived exactly once/, 'the markers still counted by CONTROL');
});
