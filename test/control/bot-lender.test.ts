import test from 'ava';
import { BotLender } from '../../src/control/bot-lender.js';

test('one thing per bot, made on first lend, retired when its last user releases it; a second release counts once', (t) => {
  const retired: string[] = [];
  let made = 0;
  const lender = new BotLender<string>((value) => retired.push(value));
  const make = () => `queue-${++made}`;
  const a = lender.lend('bot-a', make);
  const b = lender.lend('bot-a', make);
  const c = lender.lend('bot-c', make);
  t.is(a.value, 'queue-1');
  t.is(b.value, 'queue-1', 'the same bot shares it');
  t.is(c.value, 'queue-2', 'another bot has its own');
  t.is(lender.size, 2);
  a.release();
  a.release();
  t.deepEqual(retired, [], 'b still uses it: the second release of a counted once');
  b.release();
  t.deepEqual(retired, ['queue-1']);
  t.is(lender.size, 1);
  t.is(lender.lend('bot-a', make).value, 'queue-3', 'a bot that comes back gets a new one');
  c.release();
  t.deepEqual(retired, ['queue-1', 'queue-2']);
});

test('check may refuse to share: the refused lend counts no user', (t) => {
  const lender = new BotLender<number>();
  const first = lender.lend('bot', () => 500);
  t.throws(() => lender.lend('bot', () => 1000, (existing) => {
    if (existing !== 1000) throw new Error(`made for ${existing}`);
  }), { message: 'made for 500' });
  first.release();
  t.is(lender.size, 0, 'the refused lend did not keep it alive');
});
