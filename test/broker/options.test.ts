import test from 'ava';
import { consumeDispatches, type ConsumeDispatchesOptions } from '../../src/broker/consumer.js';
import { isDisclusterError } from '../../src/gateway/errors.js';

const base: ConsumeDispatchesOptions<'MESSAGE_CREATE' | 'GUILD_CREATE'> = { redis: 'redis://127.0.0.1:1', group: 'g', consumer: 'c', events: ['MESSAGE_CREATE', 'GUILD_CREATE'] };

test('bad options fail up front with INVALID_OPTIONS, before any connection is made', (t) => {
  const bad: [string, Partial<ConsumeDispatchesOptions<'MESSAGE_CREATE' | 'GUILD_CREATE'>>][] = [
    ['empty group', { group: '' }],
    ['no consumer', { consumer: undefined as unknown as string }],
    ['no events', { events: [] }],
    ['claimIdleMs 0', { claimIdleMs: 0 }],
    ['maxDeliveries 1.5', { maxDeliveries: 1.5 }],
    ['maxInFlight below the number of streams', { maxInFlight: 1 }],
    ['batchSize below the number of streams', { batchSize: 1 }],
    ['an empty dead-letter name', { deadLetter: '' }],
    ['startFrom', { startFrom: 'middle' as 'oldest' }],
  ];
  for (const [name, change] of bad) {
    const error = t.throws(() => consumeDispatches({ ...base, ...change }), undefined, name);
    t.true(isDisclusterError(error, 'INVALID_OPTIONS'), `${name}: ${String(error)}`);
  }
  t.notThrows(() => consumeDispatches(base), 'good options: nothing happens until subscribed');
});
