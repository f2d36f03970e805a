/**
 * The gateway clients the benchmark compares, behind one small interface. Each runs any number
 * of shards in this process and calls `hooks.event(t, d)` for every dispatch it delivers.
 *
 * - `ours`: `createCluster` from this library (sync zlib through node:zlib's handle).
 * - `ours-metrics`: the same with `registerMetrics` (prom-client) counting every dispatch; the
 *   registry is scraped once at the end, so the row shows what counting costs the hot path
 *   (in the realistic zlib-stream throughput case only).
 * - `djs` / `djs-zlib-sync`: @discordjs/ws 2 `WebSocketManager`, compression `ZlibNative`
 *   (streaming node:zlib) or `ZlibSync` (the native addon); no compression when asked for none.
 * - `ws-zlib-stream`, `ws-zlib-sync`: a bare `ws` client, inflating with a streaming node:zlib
 *   context or with zlib-sync, then `JSON.parse`.
 * - `ws-node-sync`: a bare `ws` client inflating with this library's own decoder (node:zlib's
 *   handle driven synchronously), then `JSON.parse`: the floor for ours with its inflate choice
 *   held equal, so what remains between the two is the library's own logic.
 * - `ws-frames`: a bare `ws` client that inflates only until READY, then counts frames: the
 *   floor of reading the socket at all.
 * - `ws-zlib-sync-deps` (storm only): `ws-zlib-sync` in a process that has also loaded, unused,
 *   the runtime dependencies the package loads (`PACKAGE_DEPENDENCIES`): the floor with that code
 *   held equal, so what remains between it and ours is the package's own code and its reading.
 *
 * Clients other than ours have no way to skip unwanted events: they parse every frame and then
 * filter on `t`, as a bot using them would.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import WebSocket from 'ws';

export const CONTENDERS = ['ours', 'ours-metrics', 'djs', 'djs-zlib-sync', 'ws-zlib-stream', 'ws-zlib-sync', 'ws-node-sync', 'ws-frames'] as const;
/**
 * zstd-stream only (Node >= 22.15): `ws-zstd-sync`, bare `ws` + this library's decoder (the zstd
 * context's handle driven synchronously) + `JSON.parse`; `ws-zstd-stream`, bare `ws` + a
 * streaming node:zlib `ZstdDecompress` (a thread-pool round trip per message) + `JSON.parse`.
 */
export const ZSTD_CONTENDERS = ['ws-zstd-sync', 'ws-zstd-stream'] as const;
/** Contenders the startup storm adds to its own list (bench/storm.ts), beside the floor they extend. */
export const LOADED_FLOORS = ['ws-zlib-sync-deps'] as const;
export type ContenderName = (typeof CONTENDERS)[number] | (typeof ZSTD_CONTENDERS)[number] | (typeof LOADED_FLOORS)[number];

/** What dist/index.js imports from npm besides `ws`, as it imports it. */
export const PACKAGE_DEPENDENCIES = ['rxjs', 'io-ts', 'fp-ts/lib/Either.js', 'io-ts/lib/PathReporter.js', 'discord-api-types/gateway/v10'] as const;

/** Loads the package's dependencies without the package (for `ws-zlib-sync-deps`). */
const loadDependencies = async (): Promise<void> => {
  for (const name of PACKAGE_DEPENDENCIES) await import(name);
};

/** What every contender is told. */
export interface ClientConfig {
  readonly contender: ContenderName;
  readonly url: string;
  readonly token: string;
  readonly intents: number;
  readonly shardIds: readonly number[];
  readonly totalShards: number;
  readonly compression: 'zlib-stream' | 'zstd-stream' | 'none';
  /** Dispatch names to deliver (default all). */
  readonly events?: readonly string[];
  readonly maxConcurrency: number;
  readonly identifyWindowMs: number;
  readonly backoffInitialMs?: number;
  /** Ours: the identify queue's safety margin per window (default: the library's, 1 % of the window). */
  readonly identifyMarginMs?: number;
  /**
   * Ours: `'send'` counts each identify window from the send, as the library did before it
   * counted from the gateway's answer (the memory queue's lease released as it grants). Default
   * `'answer'`, the library's own.
   */
  readonly identifyCountFrom?: 'answer' | 'send';
}

export interface Hooks {
  /** A delivered dispatch. */
  event(t: string, d: unknown): void;
  /** A frame counted by `ws-frames` after READY. */
  frame(): void;
  /** A shard got RESUMED. */
  resumed(shardId: number): void;
}

export interface RunningClient {
  /** Resolves when every shard has been READY once; with the ms it took from the start. */
  readonly ready: Promise<number>;
  close(): Promise<void>;
}

type ZlibSyncModule = {
  Inflate: new (options: { chunkSize?: number; to?: 'string' }) => { push(data: Buffer, flush: number): void; err: number; msg?: string; result: string | Buffer | null };
  Z_SYNC_FLUSH: number;
};
const require = createRequire(import.meta.url);
const loadZlibSync = (): ZlibSyncModule => require('zlib-sync') as ZlibSyncModule;

const endsWithSuffix = (b: Buffer): boolean => {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0 && b[n - 3] === 0 && b[n - 2] === 0xff && b[n - 1] === 0xff;
};

/** Counts READY (and the time the last one came) for `n` shards. */
const readyLatch = (n: number) => {
  const started = performance.now();
  let count = 0;
  let resolve: (ms: number) => void = () => {};
  const ready = new Promise<number>((r) => (resolve = r));
  return { ready, hit: () => ++count === n && resolve(performance.now() - started) };
};

/**
 * The package as users get it: the tsup build in dist/ (`npm run bench` builds it first). Not the
 * TypeScript sources through tsx, whose transform names every function at runtime
 * (`keepNames`), which costs each closure a property table (~7 KiB per idle shard).
 */
const loadOurs = async (): Promise<typeof import('../src/index.js')> => {
  const built = new URL('../dist/index.js', import.meta.url);
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  return (await import(built.href)) as typeof import('../src/index.js');
};

/** The built metrics entry and prom-client, for `ours-metrics`. */
const loadMetrics = async () => {
  const built = new URL('../dist/metrics/index.js', import.meta.url);
  if (!existsSync(built)) throw new Error('dist/metrics is missing: run `npm run build` first (npm run bench does)');
  const { registerMetrics } = (await import(built.href)) as typeof import('../src/metrics/index.js');
  const { Registry } = await import('prom-client');
  return { registerMetrics, Registry };
};

const ours = async (cfg: ClientConfig, hooks: Hooks, withMetrics = false): Promise<RunningClient> => {
  const { createCluster, createMemoryIdentifyQueue } = await loadOurs();
  const metrics = withMetrics ? await loadMetrics() : undefined;
  const margin = cfg.identifyMarginMs;
  const queue =
    margin !== undefined || cfg.identifyCountFrom === 'send'
      ? createMemoryIdentifyQueue({ maxConcurrency: cfg.maxConcurrency, windowMs: cfg.identifyWindowMs, ...(margin !== undefined ? { safetyMarginMs: margin } : {}) })
      : undefined;
  const cluster = createCluster({
    ...(queue !== undefined ? { identifyQueue: cfg.identifyCountFrom === 'send' ? (await import('./counted-from-send.js')).countedFromSend(queue) : queue } : {}),
    token: cfg.token,
    intents: cfg.intents,
    shardIds: cfg.shardIds,
    totalShards: cfg.totalShards,
    gateway: { url: cfg.url, maxConcurrency: cfg.maxConcurrency },
    compression: cfg.compression,
    ...(cfg.events ? { events: cfg.events } : {}),
    timing: {
      identifyWindowMs: cfg.identifyWindowMs,
      helloTimeoutMs: 120_000,
      readyTimeoutMs: 120_000,
      ...(cfg.backoffInitialMs !== undefined ? { backoff: { initialMs: cfg.backoffInitialMs } } : {}),
    },
  });
  const registry = metrics ? new metrics.Registry() : undefined;
  if (metrics && registry) metrics.registerMetrics(cluster, { registry });
  cluster.dispatch$.subscribe((e) => hooks.event(e.t, e.d));
  cluster.status$.subscribe((e) => e.status === 'resumed' && hooks.resumed(e.shardId));
  const started = performance.now();
  const ready = cluster.connect().then(() => performance.now() - started);
  return {
    ready,
    close: async () => {
      // one scrape, so a run that counted nothing (a broken subscription) shows as an error
      const scraped = registry ? await registry.metrics() : '';
      await cluster.shutdown();
      if (registry && !scraped.includes('discluster_dispatches_total{')) throw new Error('ours-metrics: no dispatch was counted');
    },
  };
};

const djs = async (cfg: ClientConfig, hooks: Hooks, zlibSync: boolean): Promise<RunningClient> => {
  const { CompressionMethod, WebSocketManager, WebSocketShardEvents } = await import('@discordjs/ws');
  const method = zlibSync ? CompressionMethod.ZlibSync : CompressionMethod.ZlibNative;
  const info = {
    url: cfg.url,
    shards: cfg.totalShards,
    session_start_limit: { total: 1_000_000, remaining: 1_000_000, reset_after: 86_400_000, max_concurrency: cfg.maxConcurrency },
  };
  const rest = { get: async () => info } as unknown as ConstructorParameters<typeof WebSocketManager>[0]['rest'];
  const wanted = cfg.events ? new Set(cfg.events) : undefined;
  const manager = new WebSocketManager({
    token: cfg.token,
    intents: cfg.intents,
    rest,
    shardCount: cfg.totalShards,
    shardIds: [...cfg.shardIds],
    compression: cfg.compression === 'none' ? null : method,
    helloTimeout: 120_000,
    readyTimeout: 120_000,
  });
  const latch = readyLatch(cfg.shardIds.length);
  manager.on(WebSocketShardEvents.Dispatch, (payload) => {
    if (wanted === undefined || wanted.has(payload.t)) hooks.event(payload.t, payload.d);
  });
  manager.on(WebSocketShardEvents.Ready, () => latch.hit());
  manager.on(WebSocketShardEvents.Resumed, (shardId) => hooks.resumed(shardId));
  manager.on(WebSocketShardEvents.Error, () => {});
  void manager.connect();
  return {
    ready: latch.ready,
    close: async () => {
      await manager.destroy();
    },
  };
};

/** A decoder of one bare connection: raw WebSocket messages in, texts out (possibly later). */
type BareDecoder = (data: Buffer, isBinary: boolean, onText: (text: string) => void) => void;

const textDecoder = (): BareDecoder => (data, _isBinary, onText) => onText(data.toString('utf8'));

const zlibSyncDecoder = (): BareDecoder => {
  const { Inflate, Z_SYNC_FLUSH } = loadZlibSync();
  const inflate = new Inflate({ chunkSize: 65536, to: 'string' });
  return (data, isBinary, onText) => {
    if (!isBinary) return onText(data.toString('utf8'));
    const end = endsWithSuffix(data);
    inflate.push(data, end ? Z_SYNC_FLUSH : 0);
    if (!end) return;
    if (inflate.err) throw new Error(`zlib-sync: ${inflate.msg ?? inflate.err}`);
    const result = inflate.result;
    if (result !== null) onText(typeof result === 'string' ? result : result.toString('utf8'));
  };
};

const zlibStreamDecoder = (): BareDecoder => {
  const inflate = zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, chunkSize: 65536 });
  let chunks: Buffer[] = [];
  inflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  inflate.on('error', () => {});
  return (data, isBinary, onText) => {
    if (!isBinary) return onText(data.toString('utf8'));
    const end = endsWithSuffix(data);
    inflate.write(data, () => {
      if (!end) return;
      const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      chunks = [];
      onText(text);
    });
  };
};

/** A streaming node:zlib zstd context: each frame is a whole message, answered through the thread pool. */
const zstdStreamDecoder = (): BareDecoder => {
  const z = zlib as unknown as { createZstdDecompress(): zlib.Inflate };
  const inflate = z.createZstdDecompress();
  let chunks: Buffer[] = [];
  inflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  inflate.on('error', () => {});
  return (data, isBinary, onText) => {
    if (!isBinary) return onText(data.toString('utf8'));
    inflate.write(data, () => {
      const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      chunks = [];
      onText(text);
    });
  };
};

/** This library's decoder alone (from the sources: it is a few classes, no closures to name). */
const nodeSyncDecoder = async (compression: 'zlib-stream' | 'zstd-stream' = 'zlib-stream'): Promise<() => BareDecoder> => {
  const { createDecoder } = await import('../src/gateway/decoder.js');
  return () => {
    let deliver: (text: string) => void = () => {};
    const decoder = createDecoder(
      { compression },
      {
        message: (text) => deliver(text),
        error: (error) => {
          throw error;
        },
      },
    );
    return (data, isBinary, onText) => {
      deliver = onText;
      decoder.push(data, isBinary);
    };
  };
};

interface GatewayFrame {
  op: number;
  t: string | null;
  s: number | null;
  d: unknown;
}

/** One bare `ws` shard: Hello → Identify, heartbeats, dispatches to the hooks. */
const bareShard = (cfg: ClientConfig, shardId: number, decoder: BareDecoder, hooks: Hooks, onReady: () => void, countOnly: boolean) => {
  const query = `v=10&encoding=json${cfg.compression === 'none' ? '' : `&compress=${cfg.compression}`}`;
  const ws = new WebSocket(`${cfg.url}?${query}`, { perMessageDeflate: false, maxPayload: 64 << 20 });
  const wanted = cfg.events ? new Set(cfg.events) : undefined;
  let seq: number | null = null;
  let beat: NodeJS.Timeout | undefined;
  let ready = false;
  const onText = (text: string) => {
    const f = JSON.parse(text) as GatewayFrame;
    if (f.s !== null) seq = f.s;
    switch (f.op) {
      case 0:
        if (f.t === 'READY') {
          ready = true;
          onReady();
        }
        if (wanted === undefined || wanted.has(f.t as string)) hooks.event(f.t as string, f.d);
        return;
      case 10: {
        const interval = (f.d as { heartbeat_interval: number }).heartbeat_interval;
        beat = setInterval(() => ws.send(JSON.stringify({ op: 1, d: seq })), interval);
        ws.send(
          JSON.stringify({
            op: 2,
            d: { token: cfg.token, intents: cfg.intents, shard: [shardId, cfg.totalShards], properties: { os: 'linux', browser: 'bench', device: 'bench' } },
          }),
        );
        return;
      }
      case 1:
        ws.send(JSON.stringify({ op: 1, d: seq }));
        return;
    }
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (countOnly && ready) return hooks.frame();
    decoder(data, isBinary, onText);
  });
  ws.on('error', () => {});
  return {
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(beat);
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000);
      }),
  };
};

const bare = (cfg: ClientConfig, hooks: Hooks, makeDecoder: () => BareDecoder, countOnly = false): RunningClient => {
  const latch = readyLatch(cfg.shardIds.length);
  const decoderFor = cfg.compression === 'none' ? textDecoder : makeDecoder;
  const shards = cfg.shardIds.map((id) => bareShard(cfg, id, decoderFor(), hooks, latch.hit, countOnly));
  return { ready: latch.ready, close: async () => void (await Promise.all(shards.map((s) => s.close()))) };
};

/** Loads a contender's library without starting anything (so a memory baseline includes its code). */
export const preload = async (contender: ContenderName): Promise<void> => {
  if (contender === 'ours') await loadOurs();
  else if (contender === 'ours-metrics') await Promise.all([loadOurs(), loadMetrics()]);
  else if (contender === 'ws-node-sync') await nodeSyncDecoder();
  else if (contender === 'djs' || contender === 'djs-zlib-sync') await import('@discordjs/ws');
  else if (contender === 'ws-zlib-sync-deps') await loadDependencies();
  if (contender === 'djs-zlib-sync' || contender === 'ws-zlib-sync' || contender === 'ws-zlib-sync-deps' || contender === 'ws-frames') loadZlibSync();
};

/**
 * Starts a contender's shards; they connect at once. Each contender imports its library only
 * here, so a process holds (and a memory baseline counts) only its own contender's code.
 */
export const startClient = async (cfg: ClientConfig, hooks: Hooks): Promise<RunningClient> => {
  switch (cfg.contender) {
    case 'ours':
      return ours(cfg, hooks);
    case 'ours-metrics':
      return ours(cfg, hooks, true);
    case 'djs':
      return djs(cfg, hooks, false);
    case 'djs-zlib-sync':
      return djs(cfg, hooks, true);
    case 'ws-zlib-stream':
      return bare(cfg, hooks, zlibStreamDecoder);
    case 'ws-zlib-sync':
      return bare(cfg, hooks, zlibSyncDecoder);
    case 'ws-zlib-sync-deps':
      await loadDependencies();
      return bare(cfg, hooks, zlibSyncDecoder);
    case 'ws-node-sync':
      return bare(cfg, hooks, await nodeSyncDecoder());
    case 'ws-frames':
      return bare(cfg, hooks, zlibSyncDecoder, true);
    case 'ws-zstd-sync':
      return bare(cfg, hooks, await nodeSyncDecoder('zstd-stream'));
    case 'ws-zstd-stream':
      return bare(cfg, hooks, zstdStreamDecoder);
  }
};
