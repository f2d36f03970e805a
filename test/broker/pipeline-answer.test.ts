import test from 'ava';
import { ReplyError } from 'ioredis';
import { sortAnswer, worthRetrying } from '../../src/broker/pipeline-answer.js';

const reply = (message: string) => new ReplyError(message);

test('a reply error that will not pass is a rejection; connection failures and passing replies are retried', (t) => {
  t.false(worthRetrying(reply('WRONGTYPE Operation against a key holding the wrong kind of value')));
  t.false(worthRetrying(reply('ERR syntax error')));
  for (const code of ['LOADING Redis is loading', 'BUSY Redis is busy running a script', 'OOM command not allowed', 'READONLY You can\'t write against a read only replica.']) {
    t.true(worthRetrying(reply(code)), code);
  }
  t.true(worthRetrying(new Error("Stream isn't writeable and enableOfflineQueue options is false")));
  t.true(worthRetrying(new Error('Connection is closed.')));
});

test('sortAnswer: written, rejected and retried entries, by index; no answer retries all', (t) => {
  t.deepEqual(sortAnswer([[null, '1-0'], [reply('WRONGTYPE x'), null], [new Error('Connection is closed.'), null], [null, '1-1']], 4), {
    retry: [2],
    rejected: 1,
    reason: 'WRONGTYPE x',
    retryReason: 'Connection is closed.',
  });
  t.deepEqual(sortAnswer(null, 3).retry, [0, 1, 2]);
  t.deepEqual(sortAnswer([[null, '1-0']], 2).retry, [0, 1], 'an answer of the wrong length is no answer');
  t.deepEqual(sortAnswer([], 0), { retry: [], rejected: 0, reason: '', retryReason: '' });
});
