/** Shared pieces of the broker tests: a cluster on the emulator, a fake cluster, a wait on a condition. */
import type { ExecutionContext } from 'ava';
import { Subject } from 'rxjs';
import { createCluster, type Cluster } from '../../src/cluster/cluster.js';
import { SESSION_ID } from '../../src/shard/dispatch-session.js';
import { FRAME_TEXT } from '../../src/shard/frame-text.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';
import { createEmulator, type Emulator } from '../../src/testing/index.js';

export const TOKEN = 'broker-test-token-SECRET';

/** An emulator and a cluster of `shards` shards on it, both closed when the test ends. */
export const clusterOnEmulator = async (t: ExecutionContext, shards: number, events?: readonly string[]): Promise<{ gw: Emulator; cluster: Cluster }> => {
  const gw = await createEmulator({ token: TOKEN, shards, maxConcurrency: shards, heartbeatInterval: 1_000, identifyWindowMs: 20, guilds: 8 });
  t.teardown(() => gw.close());
  const shardIds = Array.from({ length: shards }, (_, i) => i);
  const cluster = createCluster({
    token: TOKEN,
    intents: 513,
    shardIds,
    totalShards: shards,
    gateway: { url: gw.url, maxConcurrency: shards },
    timing: { identifyWindowMs: 20, backoff: { initialMs: 10, maxMs: 50 } },
    ...(events !== undefined ? { events } : {}),
  });
  t.teardown(() => cluster.shutdown());
  return { gw, cluster };
};

/** A stand-in cluster whose dispatches a test emits itself; `observed` tells whether anything listens. */
export const fakeCluster = () => {
  const dispatch$ = new Subject<ShardDispatchEvent>();
  let n = 0;
  return {
    cluster: { dispatch$: dispatch$.asObservable() },
    get observed() {
      return dispatch$.observed;
    },
    /** Emits a MESSAGE_CREATE (or `t`) with content `content`, as a shard would (frame text and session attached). */
    emit(content: string, t = 'MESSAGE_CREATE', shardId = 0) {
      const s = ++n;
      const d = { id: String(s), content };
      const text = JSON.stringify({ t, s, op: 0, d });
      dispatch$.next({ type: 'dispatch', shardId, t, s, d, [FRAME_TEXT]: text, [SESSION_ID]: 'fake-session' } as ShardDispatchEvent);
    },
  };
};

/** Resolves once `condition()` holds, checking every 10 ms; rejects after `ms` naming `what`. */
export const until = async (condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
