import test from 'ava';
import { consumeDispatches } from '../../src/broker/consumer.js';
import { activeResources } from '../helpers/collect.js';
import { client, prefixFor, REDIS_URL, skipReason } from '../redis/helpers.js';
import { marker, xaddEntries } from './helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test.serial : test.serial.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);

redisTest(title('subscribe, read, claim, ack, unsubscribe, 20 times: no socket and no timer left behind'), async (t) => {
  const keyPrefix = prefixFor(t);
  const redis = client(t);
  await redis.ping();
  const cycle = async (n: number) => {
    await xaddEntries(redis, keyPrefix, [marker(n)]);
    await new Promise<void>((resolve, reject) => {
      const subscription = consumeDispatches({ redis: REDIS_URL, keyPrefix, group: 'g', consumer: `c${n}`, events: ['MESSAGE_CREATE'], claimIdleMs: 20, blockMs: 50 }).subscribe({
        next: (entry) => {
          // the entry left unacked by the previous cycle is claimed here; the new one is left unacked in turn
          if (entry.deliveries > 1 || n === 0) return void entry.ack().then(() => (subscription.unsubscribe(), resolve()), reject);
        },
        error: reject,
      });
    });
  };
  await cycle(0); // warm up
  const baseline = activeResources();
  for (let n = 1; n <= 20; n++) await cycle(n);
  const deadline = performance.now() + 5_000;
  while (JSON.stringify(activeResources()) !== JSON.stringify(baseline) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(activeResources(), baseline);
});
