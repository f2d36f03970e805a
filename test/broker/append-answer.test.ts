import test from 'ava';
import { ReplyError } from 'ioredis';
import { isPassingReply, sortFailure, sortReply, worthRetrying } from '../../src/broker/append-answer.js';

test('a reply that will not pass is a rejection; failures to reach Redis and passing replies are retried', (t) => {
  t.false(worthRetrying(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')));
  t.false(worthRetrying(new ReplyError('ERR syntax error')));
  for (const code of ['LOADING Redis is loading', 'BUSY Redis is busy running a script', 'OOM command not allowed', "READONLY You can't write against a read only replica."]) {
    t.true(worthRetrying(new ReplyError(code)), code);
    t.true(isPassingReply(code), code);
  }
  t.true(worthRetrying(new Error("Stream isn't writeable and enableOfflineQueue options is false")));
  t.true(worthRetrying(new Error('Connection is closed.')));
});

test("sortReply: the script's flat list of failures by index; anything else retries the batch", (t) => {
  t.deepEqual(sortReply([], 3), { retry: [], rejected: 0, reason: '', retryReason: '' });
  t.deepEqual(sortReply([3, 'OOM command not allowed', 1, 'WRONGTYPE x', 0, 'LOADING'], 4), {
    retry: [0, 3],
    rejected: 1,
    reason: 'WRONGTYPE x',
    retryReason: 'LOADING',
  });
  t.deepEqual(sortReply(null, 2).retry, [0, 1]);
  t.deepEqual(sortReply([1], 2).retry, [0, 1], 'an odd list is no answer');
  t.deepEqual(sortReply([9, 'WRONGTYPE'], 2), { retry: [], rejected: 0, reason: '', retryReason: '' }, 'an index out of the batch is ignored');
});

test('sortFailure: a whole call that failed retries every entry, or rejects every one', (t) => {
  t.deepEqual(sortFailure(new Error('Connection is closed.'), 3), { retry: [0, 1, 2], rejected: 0, reason: '', retryReason: 'Connection is closed.' });
  t.deepEqual(sortFailure(new ReplyError('ERR unknown command'), 2), { retry: [], rejected: 2, reason: 'ERR unknown command', retryReason: '' });
});
