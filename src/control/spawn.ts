import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { IdentifyQueue } from '../shard/types.js';
import { botIdentifyQueues, type LentIdentifyQueue } from './bot-identify-queues.js';
import { botHandoverLedgers } from './bot-ledgers.js';
import type { HandoverLedger } from '../reshard/ledger.js';
import { LEDGER_MEMORY_WINDOWS, RESHARD_TIMING_DEFAULTS } from '../reshard/timing.js';
import { PROTOCOL_VERSION } from './codec-fields.js';
import { type ClusterHandle, createClusterHandle } from './handle.js';
import { ipcTransport } from './ipc-transport.js';
import { portTransport } from './port-transport.js';
import type { StartMessage } from './to-cluster.js';

/** Options of `spawnCluster`: the fields of `start`, plus where and how to run the cluster. */
export type SpawnClusterOptions = Omit<StartMessage, 'type' | 'protocol' | 'identify'> & {
  /** A child process (`fork`) or a worker thread. */
  readonly mode: 'process' | 'worker';
  /** Who throttles identifies: CONTROL (`'control'`, the default: see `identifyQueue`) or the cluster itself. */
  readonly identify?: 'local' | 'control';
  /**
   * In control mode, the queue whose leases answer `identify-request`. Default: one in-memory queue
   * per bot (token and gateway URL) in this CONTROL process, over `gateway.maxConcurrency` and
   * `timing.identifyWindowMs`, shared by every `spawnCluster` of that bot that passes none, so
   * their shards never identify in one bucket window; a second cluster of the same bot with another
   * `maxConcurrency` or window is refused (`INVALID_OPTIONS`). Pass a queue to choose yourself
   * (e.g. Redis across machines).
   */
  readonly identifyQueue?: IdentifyQueue;
  /**
   * The handover ledger answering the cluster's `ledger-offer`s during a fleet reshard (guilds
   * whose old and new shard run in different clusters). Default: one in-memory ledger per bot in
   * this CONTROL process, shared by every `spawnCluster` of that bot that passes none, forgetting a
   * key `LEDGER_MEMORY_WINDOWS` (3) times `timing.reshardMatchWindowMs` (default 5000 ms) after
   * its last offer. Pass one to choose
   * (e.g. `createRedisHandoverLedger`, for clusters under several CONTROLs).
   */
  readonly handoverLedger?: HandoverLedger;
  /** Extra Node flags for the process or thread. */
  readonly execArgv?: readonly string[];
  /** Reply timeout of `command`, `stats`, `ping` and `shutdown` (default 10000 ms). */
  readonly requestTimeoutMs?: number;
};

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** After a worker's exit, close CONTROL's end of its port ourselves if the thread's close has not arrived by then, ms. */
const PORT_CLOSE_FALLBACK_MS = 1_000;

/** The entry modules: beside this file in src/, under dist/control/ once built (chunks sit in dist/). */
const entry = (mode: 'process' | 'worker'): URL => {
  if (FROM_SOURCE) return new URL(mode === 'process' ? './process-entry.ts' : './worker-entry.dev.mjs', import.meta.url);
  return new URL(mode === 'process' ? './control/process-entry.js' : './control/worker-entry.js', import.meta.url);
};

/** The bot's shared queue of this process, lent until the cluster exits. */
const lendBotQueue = (options: SpawnClusterOptions): LentIdentifyQueue =>
  botIdentifyQueues.lend({
    token: options.token,
    gatewayUrl: options.gateway.url,
    maxConcurrency: options.gateway.maxConcurrency,
    windowMs: options.timing?.identifyWindowMs ?? 5_000,
    ...(options.timing?.identifyMarginMs !== undefined ? { safetyMarginMs: options.timing.identifyMarginMs } : {}),
    ...(options.gateway.sessionStartLimit ? { sessionStartLimit: options.gateway.sessionStartLimit } : {}),
  });

/** The `start` message: only protocol fields are copied, never CONTROL-side options. */
const startMessage = (options: SpawnClusterOptions): StartMessage => {
  const { mode: _mode, identifyQueue: _queue, handoverLedger: _ledger, execArgv: _argv, requestTimeoutMs: _timeout, identify, ...fields } = options;
  return { type: 'start', protocol: PROTOCOL_VERSION, identify: identify ?? 'control', ...fields };
};

/**
 * Starts a cluster in a child process or a worker thread and returns CONTROL's handle on it.
 * The token travels only in the `start` message over the channel (never argv or environment).
 */
export const spawnCluster = (options: SpawnClusterOptions): ClusterHandle => {
  const start = startMessage(options);
  const lent = start.identify === 'control' && options.identifyQueue === undefined ? lendBotQueue(options) : null;
  const identifyQueue = start.identify === 'control' ? (options.identifyQueue ?? lent!.queue) : null;
  const lentLedger =
    options.handoverLedger === undefined
      ? botHandoverLedgers.lend({ token: options.token, gatewayUrl: options.gateway.url, windowMs: LEDGER_MEMORY_WINDOWS * (options.timing?.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs) })
      : null;
  const handoverLedger = options.handoverLedger ?? lentLedger!.ledger;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const extra = [...(options.execArgv ?? [])];
  if (options.mode === 'process') {
    const child = fork(fileURLToPath(entry('process')), [], {
      execArgv: FROM_SOURCE ? ['--import', 'tsx', ...extra] : extra,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    // The handle hears of the end once the child exited and its IPC channel closed: the channel
    // closes only after every message the child sent (its `stopped` reply above all) was read
    const channelClosed = new Promise<void>((resolve) => (child.connected ? child.once('disconnect', resolve) : resolve()));
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1))).then(async (code) => {
      await channelClosed;
      return code;
    });
    void exited.then(() => {
      lent?.release();
      lentLedger?.release();
    });
    return createClusterHandle({
      transport: ipcTransport(child),
      start,
      identifyQueue,
      handoverLedger,
      exited,
      requestTimeoutMs,
      kill: () => void child.kill('SIGKILL'),
      disconnect: () => {
        if (child.connected) child.disconnect();
      },
    });
  }
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(entry('worker'), { execArgv: extra, workerData: { port: port2 }, transferList: [port2] });
  // The thread's 'exit' is reported apart from the messages on the port and may come first, with
  // the `stopped` reply still queued on port1: closing port1 then would discard it. The thread's
  // end closes its port, and that close reaches port1 behind every message posted before it, so
  // the handle hears of the end once port1 closed (closed here only should that never come).
  const portClosed = new Promise<void>((resolve) => port1.once('close', resolve));
  const threadExited = new Promise<number>((resolve) => worker.once('exit', resolve));
  worker.on('error', () => {}); // an uncaught error ends the thread: reported through `exited`
  void threadExited.then(() => {
    const fallback = setTimeout(() => port1.close(), PORT_CLOSE_FALLBACK_MS);
    void portClosed.then(() => clearTimeout(fallback));
  });
  const exited = threadExited.then(async (code) => {
    await portClosed;
    lent?.release();
    lentLedger?.release();
    return code;
  });
  return createClusterHandle({
    transport: portTransport(port1),
    start,
    identifyQueue,
    handoverLedger,
    exited,
    requestTimeoutMs,
    kill: () => void worker.terminate(),
    disconnect: () => port1.close(),
  });
};
