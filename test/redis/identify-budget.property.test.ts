import test from 'ava';
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { CLIENT_DEFAULTS } from '../../src/redis/client.js';
import { createRedisIdentifyQueue } from '../../src/redis/index.js';
import { IdentifyPlace } from '../../src/shard/identify-place.js';
import { client, prefixFor, REDIS_URL, skipReason, sleep } from './helpers.js';

const skipped = await skipReason();
const redisTest = skipped === null ? test.serial : test.serial.skip;
const title = (name: string) => (skipped === null ? name : `${name} (skipped: ${skipped})`);

const WINDOW_MS = 80;
const CONCURRENCY = 2;
/** Redis's clock and this process's are read at different moments: a little slack on each gap. */
const SLACK_MS = 5;

const connectionArb = fc.record({
  shardId: fc.nat({ max: 3 }),
  delayMs: fc.nat({ max: 40 }),
  /** once granted: refused before Hello; identifies and is answered; its lease is lost before or after it identifies */
  fate: fc.constantFrom('refused-before-hello', 'identifies', 'lease-lost-before-send', 'lease-lost-after-send'),
});
type Plan = typeof connectionArb extends fc.Arbitrary<infer T> ? T : never;

interface Sent {
  readonly bucket: number;
  readonly sentAt: number;
  /** when the lease went back with the gateway's answer (the send itself when the lease was lost: a weaker bound) */
  releasedAt: number;
}

redisTest(title('the Redis queue, over any grants, sends, answers, failures before Hello and leases lost mid-way: the budget goes down exactly by the identifies sent; no two sent identifies of a bucket share a window'), async (t) => {
  t.timeout(120_000);
  const prefix = prefixFor(t);
  const redis = client(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(connectionArb, { minLength: 1, maxLength: 5 }), fc.nat({ max: 4 }), async (plan, remaining) => {
      const keyPrefix = `${prefix}${run++}:`;
      const connection$ = new Redis(REDIS_URL, CLIENT_DEFAULTS);
      connection$.on('error', () => {});
      const queue = createRedisIdentifyQueue({
        redis: connection$,
        keyPrefix,
        maxConcurrency: CONCURRENCY,
        windowMs: WINDOW_MS,
        safetyMarginMs: 0,
        leaseTtlMs: 200,
        pollMs: 5,
        sessionStartLimit: { total: 100, remaining, resetAfter: 60_000 },
      });
      const sent: Sent[] = [];
      const refusedWith: number[] = [];
      const connection = (step: Plan) =>
        new Promise<void>((resolve) => {
          const bucket = step.shardId % CONCURRENCY;
          let ended = false;
          const end = () => {
            if (ended) return;
            ended = true;
            place.event('ending');
            place.event('socket-closed');
            resolve();
          };
          const loseLease = () => void redis.hset(`${keyPrefix}iq:${bucket}:state`, 'holder', 'someone-else');
          const identify = () => {
            const record: Sent = { bucket, sentAt: performance.now(), releasedAt: Infinity };
            sent.push(record);
            place.event('identify-sent');
            return record;
          };
          const place: IdentifyPlace = new IdentifyPlace(queue, step.shardId, {
            granted: () => {
              setTimeout(() => {
                if (ended) return;
                switch (step.fate) {
                  case 'refused-before-hello':
                    return end();
                  case 'identifies': {
                    const record = identify();
                    return void setTimeout(() => {
                      record.releasedAt = performance.now();
                      place.event('ready');
                      end();
                    }, 10);
                  }
                  case 'lease-lost-before-send':
                    return loseLease(); // the queue tells the place (IDENTIFY_CANCELLED): it ends without identifying
                  case 'lease-lost-after-send': {
                    const record = identify();
                    record.releasedAt = record.sentAt;
                    loseLease();
                    return void setTimeout(() => (place.event('ready'), end()), 10);
                  }
                }
              }, 5);
            },
            end: (why) => {
              if (why.type === 'identify-refused' && isDisclusterError(why.error, 'IDENTIFY_BUDGET_EXHAUSTED')) refusedWith.push(sent.length);
              end();
            },
          });
        });
      const runs = plan.map(async (step) => {
        await sleep(step.delayMs);
        await connection(step);
      });
      const settled = await Promise.race([Promise.all(runs).then(() => true), sleep(15_000).then(() => false)]);
      await queue.close();
      // the last SENT and RELEASE scripts are fire and forget: QUIT answers once they have run
      await connection$.quit();
      const left = await redis.get(`${keyPrefix}iq:budget`);
      const reserved = await redis.zcard(`${keyPrefix}iq:reserved`);
      if (!settled) return false; // nobody waits forever
      if (Number(left ?? remaining) !== remaining - sent.length) return false; // spent exactly by the identifies sent
      if (reserved !== 0) return false;
      if (refusedWith.some((sentBefore) => sentBefore < remaining)) return false; // refused only once truly spent
      for (let bucket = 0; bucket < CONCURRENCY; bucket++) {
        const inBucket = sent.filter((s) => s.bucket === bucket).sort((a, b) => a.sentAt - b.sentAt);
        for (let i = 1; i < inBucket.length; i++) if (inBucket[i]!.sentAt < inBucket[i - 1]!.releasedAt + WINDOW_MS - SLACK_MS) return false;
      }
      return true;
    }),
    { numRuns: 25 },
  );
  t.pass();
});
