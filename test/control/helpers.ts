import type { ExecutionContext } from 'ava';
import { createEmulator, type Emulator, type FrameRecord } from '../../src/testing/index.js';
import { spawnCluster, type ClusterHandle, type SpawnClusterOptions } from '../../src/control/index.js';
import { collect, type Collected } from '../helpers/collect.js';
import type { ToControlMessage } from '../../src/control/index.js';

/** The token of every control test; no message may ever carry it (but `start`, which is logged redacted). */
export const TOKEN = 'control-secret-token-Zq81';

/** An emulator with short intervals, closed when the test ends. */
export const emulator = async (t: ExecutionContext, extra: Parameters<typeof createEmulator>[0] = {}) => {
  const gw = await createEmulator({ token: TOKEN, heartbeatInterval: 500, identifyWindowMs: 200, guilds: 4, ...extra });
  t.teardown(() => gw.close());
  return gw;
};

/** Spawn options for `shardIds` of `totalShards` against `gw`. */
export const options = (gw: Emulator, extra: Partial<SpawnClusterOptions> & Pick<SpawnClusterOptions, 'mode'>): SpawnClusterOptions => ({
  clusterId: 'c1',
  shardIds: [0],
  totalShards: 1,
  token: TOKEN,
  intents: 513,
  gateway: { url: gw.url, maxConcurrency: gw.options.maxConcurrency },
  compression: 'none',
  timing: { identifyWindowMs: 200, helloTimeoutMs: 2000, readyTimeoutMs: 3000, backoff: { initialMs: 20, maxMs: 100 }, shutdownTimeoutMs: 2000 },
  ...extra,
});

/** A spawned cluster with every message both ways collected; killed when the test ends if still running. */
export interface Spawned {
  readonly handle: ClusterHandle;
  /** `handle.raw`, kept out of `allMessages`: deliberate garbage may hold the token. */
  raw(message: unknown): void;
  readonly inbound: Collected<ToControlMessage>;
  readonly outbound: Collected<unknown>;
}

/** Every message seen by any spawned cluster of this test file, both ways, for the token grep. */
export const allMessages: unknown[] = [];

/** True when any logged message holds the token (bigints logged as strings). */
export const tokenLeaked = (): boolean => JSON.stringify(allMessages, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes(TOKEN);

/** Spawns a cluster and collects its traffic. */
export const spawn = (t: ExecutionContext, spawnOptions: SpawnClusterOptions): Spawned => {
  const handle = spawnCluster(spawnOptions);
  const inbound = collect(handle.messages$);
  const outbound = collect(handle.sent$);
  handle.messages$.subscribe((m) => allMessages.push(m));
  const raws = new Set<unknown>();
  handle.sent$.subscribe((m) => raws.has(m) || allMessages.push(m));
  handle.protocolErrors$.subscribe((e) => allMessages.push({ protocolError: e.message }));
  t.teardown(async () => {
    handle.kill();
    await handle.exited;
  });
  const raw = (message: unknown) => {
    raws.add(message);
    handle.raw(message);
  };
  return { handle, inbound, outbound, raw };
};

/** Identify (op 2) frames, oldest first. */
export const identifies = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2);
/** Resume (op 6) frames. */
export const resumes = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 6);
