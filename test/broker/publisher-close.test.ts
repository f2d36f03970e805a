import test from 'ava';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { publishDispatches, type PublishOptions } from '../../src/broker/index.js';
import { collect } from '../helpers/collect.js';
import { freePort } from '../redis/helpers.js';
import { fakeCluster, until } from './producer-helpers.js';

/** Timers and immediates alive in this process. */
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'Immediate').length;

test.serial('Redis unreachable: the batch is retried, never lost silently; close() drops what is held (counted) and leaves no timer, subscription or client', async (t) => {
  const fake = fakeCluster();
  const before = timers();
  const port = await freePort();
  // a client that fails at once instead of waiting for a Redis that is not there
  const publisher = publishDispatches(fake.cluster, { redis: { port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null }, maxPending: 50 });
  const reports = collect(publisher.events$);
  t.true(fake.observed);
  for (let i = 0; i < 80; i++) fake.emit(`m-${i}`);
  await reports.when((e) => e.type === 'retrying');
  t.like(publisher.stats(), { published: 0, dropped: 30, pending: 50, redis: 'down' });
  t.like(reports.events.find((e) => e.type === 'dropped'), { type: 'dropped', count: 30, total: 30 });
  await publisher.close();
  t.false(fake.observed, 'no longer listening to dispatch$');
  await reports.done;
  t.like(publisher.stats(), { published: 0, dropped: 80, pending: 0 });
  t.like(reports.events.at(-1), { type: 'dropped', count: 50, pending: 0 });
  // ioredis keeps a guard timer (up to 2 s) on a socket it closes: wait for it, not for ours (a
  // retry timer still armed would keep firing and re-arming, and this would time out)
  await until(() => timers() === before, 'no timer left', 5_000);
  fake.emit('after close');
  t.is(publisher.stats().pending, 0, 'nothing taken after close');
  await publisher.close(); // a second close is the same promise's work: harmless
});

test('bad options are refused up front with INVALID_OPTIONS, before any connection', (t) => {
  const fake = fakeCluster();
  const bad: unknown[] = [
    undefined,
    {},
    { redis: 42 },
    { redis: 'redis://127.0.0.1:1', maxLen: 0 },
    { redis: 'redis://127.0.0.1:1', maxLen: 1.5 },
    { redis: 'redis://127.0.0.1:1', maxPending: 0 },
    { redis: 'redis://127.0.0.1:1', maxPending: 2_000_000 },
    { redis: 'redis://127.0.0.1:1', maxAgeMs: 0 },
    { redis: 'redis://127.0.0.1:1', maxPending: '10' },
    { redis: 'redis://127.0.0.1:1', maxBatch: -1 },
    { redis: 'redis://127.0.0.1:1', encoding: 'cbor' },
    { redis: 'redis://127.0.0.1:1', events: 'MESSAGE_CREATE' },
    { redis: 'redis://127.0.0.1:1', events: [''] },
    { redis: 'redis://127.0.0.1:1', keyPrefix: 7 },
  ];
  for (const options of bad) {
    const error = t.throws(() => publishDispatches(fake.cluster, options as PublishOptions));
    t.true(isDisclusterError(error, 'INVALID_OPTIONS'), `${JSON.stringify(options)}: ${String(error)}`);
  }
  t.false(fake.observed);
});
