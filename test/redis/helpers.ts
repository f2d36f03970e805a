/**
 * Real Redis for the Redis tests: the server at `REDIS_URL` (default redis://127.0.0.1:6379),
 * a unique key prefix per test (its keys deleted afterwards), forked cluster processes and a
 * dedicated `redis-server` a test may stop and restart.
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { CLIENT_DEFAULTS } from '../../src/redis/client.js';

/** The Redis the tests use. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when a Redis answers PING at `url` within a second. */
export const redisAnswers = async (url = REDIS_URL): Promise<boolean> => {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
};

/** The reason tests are skipped, or null when Redis answers. Prints it once. */
export const skipReason = async (): Promise<string | null> => {
  if (await redisAnswers()) return null;
  process.stderr.write(`no Redis answers at ${REDIS_URL} (set REDIS_URL, or run redis-server): Redis tests skipped\n`);
  return `no Redis at ${REDIS_URL}`;
};

/** A fresh key prefix; its keys are deleted when the test ends. */
export const prefixFor = (t: ExecutionContext, url = REDIS_URL): string => {
  const prefix = `test:${randomUUID()}:`;
  t.teardown(async () => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } catch {
      // the server may be gone already (outage tests)
    } finally {
      redis.disconnect();
    }
  });
  return prefix;
};

/** A client with the library's defaults, closed when the test ends. */
export const client = (t: ExecutionContext, url = REDIS_URL): Redis => {
  const redis = new Redis(url, CLIENT_DEFAULTS);
  redis.on('error', () => {});
  t.teardown(() => redis.disconnect());
  return redis;
};

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when `redis-server` is on PATH. */
export const hasRedisServer = (): boolean => spawnSync('redis-server', ['--version']).status === 0;

/** A free TCP port on loopback. */
export const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

/** A `redis-server` this test owns, on its own port, with no persistence. */
export interface OwnServer {
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A dedicated server (not started yet); stopped when the test ends. */
export const ownServer = async (t: ExecutionContext): Promise<OwnServer> => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const stop = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    running.kill('SIGKILL');
    await once(running, 'exit');
  };
  t.teardown(stop);
  return {
    url,
    stop,
    start: async () => {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await sleep(50);
    },
  };
};

/** What the fixture cluster process is told. */
export interface ChildConfig {
  readonly gatewayUrl: string;
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly shardIds: readonly number[];
  readonly totalShards: number;
  readonly maxConcurrency: number;
  readonly windowMs: number;
  readonly safetyMarginMs: number;
}

/** Messages from the fixture. */
export type ChildMessage = { readonly type: 'ready'; readonly shardIds: number[]; readonly failed: number[] } | { readonly type: 'error'; readonly message: string };

/** A forked cluster process; killed when the test ends. */
export interface Child {
  readonly process: ChildProcess;
  /** The first message of this type (past or future). */
  next(type: ChildMessage['type'], ms?: number): Promise<ChildMessage>;
}

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-process.ts', import.meta.url));

/** Forks `fixtures/cluster-process.ts` running one cluster with `config`. */
export const forkCluster = (t: ExecutionContext, config: ChildConfig): Child => {
  const child = fork(FIXTURE, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, DISCLUSTER_CHILD: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: ChildMessage[] = [];
  const waiters: Array<() => void> = [];
  child.on('message', (message) => {
    messages.push(message as ChildMessage);
    for (const wake of waiters.splice(0)) wake();
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    process: child,
    next: (type, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no '${type}' from the cluster process within ${ms} ms`)), ms);
        const check = () => {
          const found = messages.find((m) => m.type === type || m.type === 'error');
          if (found === undefined) return void waiters.push(check);
          clearTimeout(timer);
          if (found.type === 'error' && type !== 'error') reject(new Error(`cluster process: ${found.message}`));
          else resolve(found);
        };
        check();
      }),
  };
};
