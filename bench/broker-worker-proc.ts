/**
 * The broker bench's worker: `consumeDispatches` in a consumer group, acking each entry once
 * handled; records each MESSAGE_CREATE's latency from the emulator's stamp (`d.emulator_ts`, the
 * gateway's send) to the handler, and tells the parent when every shard's BENCH_END came.
 */
import type { Subscription } from 'rxjs';
import { consumeDispatches, type ConsumableEvent } from '../src/broker/consumer.js';
import { notify, serve, wallNow } from './ipc.js';

interface Window {
  readonly expected: number;
  readonly ends: number;
  readonly latencies: Float64Array;
  delivered: number;
  /** Entries whose origin names no gateway session (`shard::s`): 0 when the producer sees the sessions. */
  noSession: number;
  endsSeen: number;
  firstAt: number;
  lastAt: number;
  cpu0: NodeJS.CpuUsage;
  finished: boolean;
  /** After every BENCH_END: finish once no entry came for a second (entries dropped on the way never come). */
  quiet: ReturnType<typeof setTimeout> | undefined;
}

let subscription: Subscription | undefined;
let window: Window | undefined;
let stats: (() => unknown) | undefined;

const finish = (w: Window) => {
  if (w.finished) return;
  w.finished = true;
  clearTimeout(w.quiet);
  const cpu = process.cpuUsage(w.cpu0);
  notify('done', { delivered: w.delivered, noSession: w.noSession, firstAt: w.firstAt, lastAt: w.lastAt, cpuUs: cpu.user + cpu.system, latencies: Array.from(w.latencies.subarray(0, Math.min(w.delivered, w.latencies.length))), consumer: stats?.() });
};

serve({
  start(args: { redisUrl: string; keyPrefix: string; group: string; consumer: string; maxInFlight: number; batchSize: number }) {
    const consumer$ = consumeDispatches({
      redis: args.redisUrl,
      keyPrefix: args.keyPrefix,
      group: args.group,
      consumer: args.consumer,
      events: ['MESSAGE_CREATE', 'BENCH_END' as ConsumableEvent],
      maxInFlight: args.maxInFlight,
      batchSize: args.batchSize,
      startFrom: 'newest',
    });
    stats = () => consumer$.stats();
    subscription = consumer$.subscribe((entry) => {
      void entry.ack();
      const w = window;
      if (w === undefined || w.finished) return;
      if ((entry.payload.t as string) === 'BENCH_END') {
        if (++w.endsSeen === w.ends) w.quiet = setTimeout(() => finish(w), 1_000);
        return;
      }
      const now = wallNow();
      const ts = (entry.payload.d as { emulator_ts?: unknown }).emulator_ts;
      if (w.delivered === 0) w.firstAt = now;
      if (entry.origin.includes('::')) w.noSession++;
      w.lastAt = now;
      if (typeof ts === 'number' && w.delivered < w.latencies.length) w.latencies[w.delivered] = now - ts;
      if (++w.delivered === w.expected) finish(w);
      else if (w.quiet !== undefined) w.quiet.refresh();
    });
    return null;
  },
  begin(args: { expected: number; ends: number }) {
    window = { expected: args.expected, ends: args.ends, latencies: new Float64Array(args.expected), delivered: 0, noSession: 0, endsSeen: 0, firstAt: 0, lastAt: 0, cpu0: process.cpuUsage(), finished: false, quiet: undefined };
    return null;
  },
  /** The open window's counts so far (for a run that stopped waiting). */
  partial() {
    const w = window;
    return w === undefined ? null : { delivered: w.delivered, endsSeen: w.endsSeen };
  },
  close() {
    subscription?.unsubscribe();
    return null;
  },
});
