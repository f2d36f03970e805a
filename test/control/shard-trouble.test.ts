import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { Subject } from 'rxjs';
import type { Cluster, ClusterLifecycleEvent } from '../../src/cluster/cluster.js';
import { clusterMessages } from '../../src/control/cluster-events.js';
import { decodeMessage, TO_CONTROL, TO_CONTROL_LIMITS, type ToControlMessage } from '../../src/control/index.js';
import { shardTroubleMessage } from '../../src/control/shard-trouble.js';
import { collect } from '../helpers/collect.js';

const toControl = (message: unknown) => decodeMessage(TO_CONTROL, message, TO_CONTROL_LIMITS);

test('message-dropped and identify-loop are valid on the wire; bad ones are refused', (t) => {
  t.true(E.isRight(toControl({ type: 'message-dropped', shardId: 0, reason: 'too-large', bytes: 210_000, t: 'GUILD_CREATE', s: 4 })));
  t.true(E.isRight(toControl({ type: 'message-dropped', shardId: 3, reason: 'invalid-json', bytes: 17 })));
  t.true(E.isLeft(toControl({ type: 'message-dropped', shardId: 0, reason: 'too-big', bytes: 1 })));
  t.true(E.isLeft(toControl({ type: 'message-dropped', shardId: 0, reason: 'too-large', bytes: -1 })));
  t.true(E.isRight(toControl({ type: 'identify-loop', shardId: 1, identifies: 3, windowMs: 300_000, waitMs: 297_000 })));
  t.true(E.isLeft(toControl({ type: 'identify-loop', shardId: 1, identifies: 3, windowMs: 300_000 })));
  t.true(E.isRight(toControl({ type: 'fatal', shardId: 1, code: null, reason: 'Hello could not be read twice', kind: 'unreadable' })));
});

test('the cluster forwards its shards\' message-dropped and identify-loop lifecycle events to CONTROL', async (t) => {
  const lifecycle$ = new Subject<ClusterLifecycleEvent>();
  const never = new Subject<never>();
  const cluster = { status$: never, fatal$: never, dispatch$: never, lifecycle$ } as unknown as Cluster;
  const out = collect(clusterMessages(cluster, []));
  lifecycle$.next({ type: 'message-dropped', shardId: 2, reason: 'too-large', bytes: 9_000_000, t: 'GUILD_CREATE', s: 7 });
  lifecycle$.next({ type: 'heartbeat', shardId: 2, latencyMs: 4 });
  lifecycle$.next({ type: 'message-dropped', shardId: 2, reason: 'invalid-json', bytes: 12 });
  lifecycle$.next({ type: 'identify-loop', shardId: 2, identifies: 3, windowMs: 300_000, waitMs: 120_000 });
  const expected: ToControlMessage[] = [
    { type: 'message-dropped', shardId: 2, reason: 'too-large', bytes: 9_000_000, t: 'GUILD_CREATE', s: 7 },
    { type: 'message-dropped', shardId: 2, reason: 'invalid-json', bytes: 12 },
    { type: 'identify-loop', shardId: 2, identifies: 3, windowMs: 300_000, waitMs: 120_000 },
  ];
  t.deepEqual(out.events, expected);
  for (const message of out.events) t.true(E.isRight(toControl(message)));
  t.is(shardTroubleMessage({ type: 'heartbeat', shardId: 0, latencyMs: 1 }), null);
  out.subscription.unsubscribe();
});
