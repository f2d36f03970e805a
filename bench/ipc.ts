/**
 * Request/reply over a child process's IPC channel, for the benchmark's processes.
 *
 * Both sides send `{ id, cmd, args }` requests and answer with `{ id, ok, result | error }`.
 * A side may also send notices `{ notice, data }` (no id): the client uses them to report
 * events (ready, done, resumed) as they happen.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface Request {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}
export interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}
export interface Notice {
  readonly notice: string;
  readonly data: unknown;
}

const isReply = (m: unknown): m is Reply => typeof m === 'object' && m !== null && 'ok' in m && 'id' in m;
const isNotice = (m: unknown): m is Notice => typeof m === 'object' && m !== null && 'notice' in m;

/** A forked benchmark process seen from the parent. */
export interface Peer {
  readonly child: ChildProcess;
  call<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** The next notice named `name` (or one already queued), within `timeoutMs`. */
  notice<T>(name: string, timeoutMs?: number): Promise<T>;
  /** Kills the process and waits for it to exit. */
  kill(): Promise<void>;
}

/** Forks `script` (a file next to this one) under tsx with IPC; under `execPath` when given (another Node binary). */
export const forkPeer = (script: string, nodeArgs: readonly string[] = [], argv: readonly string[] = [], execPath?: string): Peer => {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = fork(path, [...argv], { execArgv: ['--import', 'tsx', ...nodeArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...(execPath ? { execPath } : {}) });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const queued = new Map<string, unknown[]>();
  const waiting = new Map<string, ((v: unknown) => void)[]>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (m: unknown) => {
    if (isReply(m)) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(m.error ?? 'failed'));
    } else if (isNotice(m)) {
      const w = waiting.get(m.notice);
      const first = w?.shift();
      if (first !== undefined) first(m.data);
      else queued.set(m.notice, [...(queued.get(m.notice) ?? []), m.data]);
    }
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited`));
    pending.clear();
  });
  const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise.finally(() => clearTimeout(timer)),
      new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))),
    ]);
  };
  return {
    child,
    call<T>(cmd: string, args?: unknown, timeoutMs = 120_000) {
      const id = nextId++;
      const p = new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
      child.send({ id, cmd, args } satisfies Request);
      return withTimeout(p, timeoutMs, `${script} ${cmd}`);
    },
    notice<T>(name: string, timeoutMs = 120_000) {
      const q = queued.get(name);
      if (q !== undefined && q.length > 0) return Promise.resolve(q.shift() as T);
      const p = new Promise<T>((resolve) => waiting.set(name, [...(waiting.get(name) ?? []), resolve as (v: unknown) => void]));
      return withTimeout(p, timeoutMs, `${script} notice ${name}`);
    },
    async kill() {
      // Disconnecting lets the child exit on its own (flushing a --cpu-prof profile); then force it.
      if (child.connected) child.disconnect();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 3000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
};

/** In a child: answers requests with `handlers`, and lets it send notices. */
export const serve = (handlers: Record<string, (args: never) => unknown>): void => {
  process.on('message', (m: Request) => {
    const handler = handlers[m.cmd];
    void (async () => {
      try {
        if (handler === undefined) throw new Error(`unknown command ${m.cmd}`);
        const result = await handler(m.args as never);
        process.send?.({ id: m.id, ok: true, result } satisfies Reply);
      } catch (error) {
        process.send?.({ id: m.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) } satisfies Reply);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
};

/** In a child: sends a notice to the parent. */
export const notify = (notice: string, data: unknown): void => {
  process.send?.({ notice, data } satisfies Notice);
};

/** Wall-clock-like ms from the monotonic clock, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * Records this process's garbage-collection pauses (for `BENCH_TRACE`): `[at, durationMs, kind]`
 * flattened, `at` on the `wallNow` clock, kind as `perf_hooks` reports it (1 minor, 2 major,
 * 4 incremental, 8 weak callbacks).
 */
export const gcLog = () => {
  const log: number[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) log.push(performance.timeOrigin + e.startTime, e.duration, ((e as { detail?: { kind?: number } }).detail?.kind ?? 0));
  }).observe({ entryTypes: ['gc'] });
  return { clear: () => void (log.length = 0), entries: () => [...log] };
};
