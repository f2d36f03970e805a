import test from 'ava';
import { of } from 'rxjs';
import { countingSentIdentifies } from '../../src/reshard/counted-identifies.js';
import { isIdentifyGrant } from '../../src/shard/identify-budget.js';
import type { IdentifyQueue } from '../../src/shard/types.js';

/** A queue that grants at once, with a grant that tells the queue when its identify was sent. */
const queue = (sentToQueue: number[]): IdentifyQueue => ({ acquire: (shardId) => of({ sent: () => sentToQueue.push(shardId) }) });

test('a reshard counts identifies sent, not places granted: a lease let go before the identify (the gateway closed before Hello) counts nothing', (t) => {
  const toQueue: number[] = [];
  let counted = 0;
  const counting = countingSentIdentifies(queue(toQueue), () => counted++);
  const grants: unknown[] = [];
  for (const shardId of [0, 1, 2]) counting.acquire(shardId).subscribe((grant) => grants.push(grant));
  t.is(grants.length, 3);
  t.is(counted, 0, 'three places granted, no identify sent yet');
  const [first, , third] = grants;
  t.true(isIdentifyGrant(first));
  if (isIdentifyGrant(first)) first.sent();
  if (isIdentifyGrant(third)) third.sent();
  t.is(counted, 2);
  t.deepEqual(toQueue, [0, 2], 'the queue still hears of each identify sent (it spends the budget then)');
});

test('a queue whose grants carry no sent() (a plain one) is still counted at each identify sent', (t) => {
  let counted = 0;
  const counting = countingSentIdentifies({ acquire: () => of(true) }, () => counted++);
  let grant: unknown;
  counting.acquire(0).subscribe((g) => (grant = g));
  t.is(counted, 0);
  t.true(isIdentifyGrant(grant));
  if (isIdentifyGrant(grant)) grant.sent();
  t.is(counted, 1);
});
