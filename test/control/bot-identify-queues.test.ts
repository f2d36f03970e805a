import test from 'ava';
import { isDisclusterError } from '../../src/gateway/errors.js';
import { BotIdentifyQueues } from '../../src/control/bot-identify-queues.js';

const rules = { token: 'bot-a-secret-token', gatewayUrl: 'wss://gateway.discord.test', maxConcurrency: 2, windowMs: 5_000 };

test('clusters of one bot borrow one queue; another token or gateway gets its own', (t) => {
  const queues = new BotIdentifyQueues();
  const a1 = queues.lend(rules);
  const a2 = queues.lend({ ...rules });
  const b = queues.lend({ ...rules, token: 'bot-b-secret-token' });
  const elsewhere = queues.lend({ ...rules, gatewayUrl: 'ws://127.0.0.1:4000' });
  t.is(a1.queue, a2.queue);
  t.not(a1.queue, b.queue);
  t.not(a1.queue, elsewhere.queue, 'another gateway (a test emulator) is another bot');
  t.is(queues.size, 3);
});

test('a queue lives while a cluster uses it; releasing twice counts once', (t) => {
  const queues = new BotIdentifyQueues();
  const a1 = queues.lend(rules);
  const a2 = queues.lend(rules);
  a1.release();
  a1.release();
  t.is(queues.size, 1, 'a2 still uses it');
  a2.release();
  t.is(queues.size, 0);
  t.not(queues.lend(rules).queue, a1.queue, 'a later cluster gets a fresh queue');
});

test('one bot with two maxConcurrency values or windows is refused clearly, without the token', (t) => {
  const queues = new BotIdentifyQueues();
  queues.lend(rules);
  for (const other of [{ ...rules, maxConcurrency: 1 }, { ...rules, windowMs: 1_000 }]) {
    const error = t.throws(() => queues.lend(other));
    t.true(isDisclusterError(error, 'INVALID_OPTIONS'));
    t.regex(error!.message, /maxConcurrency 2 and a 5000 ms window/);
    t.false(error!.message.includes(rules.token));
  }
  t.is(queues.size, 1);
});
