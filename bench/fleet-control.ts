/**
 * CONTROL of the fleet scenario (bench/fleet.ts), in the benchmark's own process: three clusters
 * of the built package, each in a child process (`spawnCluster({ mode: 'process' })`), sharing one
 * identify queue and one in-memory handover ledger that counts what it is offered. Every cluster
 * forwards its MESSAGE_CREATEs here; each marker's arrivals and its latency (from the emulator's
 * stamp `d.emulator_ts`, its send time, to its arrival here) are kept by marker number.
 */
import { existsSync } from 'node:fs';
import type { ClusterHandle, FleetLayout, HandoverLedger, HandoverSide, MemoryIdentifyQueue, ToControlMessage } from '../src/index.js';
import { wallNow } from './ipc.js';

/** The package as users get it (the tsup build; `npm run bench` builds it first). */
const built = new URL('../dist/index.js', import.meta.url);
const lib = async () => {
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  return (await import(built.href)) as typeof import('../src/index.js');
};

/** lcm(1..16): every shard count of the scenario (6, 9, 12, 18, 24) divides it, so a guild's shard in each is this residue modulo the count. */
export const GUILD_RESIDUES = 720_720;

/** What the ledger was offered: one batch per `offer` call (a `ledger-offer` message), keys in all. */
export interface LedgerCount {
  batches: number;
  keys: number;
}

/** How to start the fleet. */
export interface FleetControlConfig {
  readonly url: string;
  readonly token: string;
  readonly layout: FleetLayout;
  readonly maxConcurrency: number;
  readonly identifyWindowMs: number;
  readonly matchWindowMs: number;
  /** Most markers the run may send (the tally's size). */
  readonly capacity: number;
  readonly prefix: string;
  readonly fencePrefix: string;
}

/** The fleet under this CONTROL, the counting ledger and the markers seen. */
export interface FleetControl {
  readonly handles: Readonly<Record<string, ClusterHandle>>;
  /** The queue every cluster's identifies go through (CONTROL's), for `reshardFleet`'s budget check. */
  readonly identifyQueue: MemoryIdentifyQueue;
  readonly ledger: LedgerCount;
  /** Arrivals per marker number (saturating at 255). */
  readonly counts: Uint8Array;
  /** Per marker number, its send time (the emulator's stamp, ms on the `wallNow` clock; 0: never came) and its first arrival's latency, ms. */
  readonly sentAt: Float64Array;
  readonly latency: Float64Array;
  /** Per marker number, its guild's `(id >> 22) % GUILD_RESIDUES` (its shard in any count that divides it; -1: none read). */
  readonly residue: Int32Array;
  /** The clusters' `reshard-ledger` reports (the ledger unreachable or reachable again), with the reason given and when (`wallNow`). */
  readonly ledgerStates: { clusterId: string; state: string; at: number; fallbacks: number; reason?: string }[];
  /** Dispatches the clusters dropped because CONTROL fell behind (`forward-dropped`): they would count as lost. */
  readonly forwardDropped: () => number;
  /** Resolves once every fence in `names` arrived. */
  fences(names: readonly string[], timeoutMs: number): Promise<void>;
  /** Shuts every cluster down and waits for their processes. */
  close(): Promise<void>;
}

/** A ledger that counts every offer, over the in-memory ledger CONTROL holds by default. */
const countingLedger = (store: HandoverLedger, count: LedgerCount): HandoverLedger => ({
  offer(side: HandoverSide, keys: readonly string[]) {
    count.batches++;
    count.keys += keys.length;
    return store.offer(side, keys);
  },
  close: () => store.close(),
});

/** Starts the fleet of `cfg.layout` (one child process per cluster) and resolves once every cluster is ready. */
export const startFleetControl = async (cfg: FleetControlConfig): Promise<FleetControl> => {
  const { spawnCluster, createMemoryIdentifyQueue, createMemoryHandoverLedger } = await lib();
  const identifyQueue = createMemoryIdentifyQueue({ maxConcurrency: cfg.maxConcurrency, windowMs: cfg.identifyWindowMs });
  const ledger: LedgerCount = { batches: 0, keys: 0 };
  const handoverLedger = countingLedger(createMemoryHandoverLedger({ windowMs: cfg.matchWindowMs }), ledger);
  const counts = new Uint8Array(cfg.capacity);
  const sentAt = new Float64Array(cfg.capacity);
  const latency = new Float64Array(cfg.capacity);
  const residue = new Int32Array(cfg.capacity).fill(-1);
  const fencesSeen = new Set<string>();
  let fenceWaiter: (() => void) | undefined;
  let dropped = 0;
  const ledgerStates: FleetControl['ledgerStates'] = [];

  const onMessage = (clusterId: string, m: ToControlMessage) => {
    if (m.type === 'forward-dropped') dropped += m.total;
    if (m.type === 'reshard-ledger') ledgerStates.push({ clusterId, state: m.state, at: wallNow(), fallbacks: m.fallbacks, ...(m.reason !== undefined ? { reason: m.reason } : {}) });
    if (m.type !== 'dispatch' || m.t !== 'MESSAGE_CREATE') return;
    const d = m.d as { content?: string; emulator_ts?: number; guild_id?: string };
    const content = d.content ?? '';
    if (content.startsWith(cfg.prefix)) {
      const n = Number(content.slice(cfg.prefix.length));
      if (!(n < counts.length)) return;
      if (counts[n] === 0 && typeof d.emulator_ts === 'number') {
        sentAt[n] = d.emulator_ts;
        latency[n] = wallNow() - d.emulator_ts;
        if (typeof d.guild_id === 'string') residue[n] = Number((BigInt(d.guild_id) >> 22n) % BigInt(GUILD_RESIDUES));
      }
      if (counts[n]! < 255) counts[n]!++;
    } else if (content.startsWith(cfg.fencePrefix)) {
      fencesSeen.add(content);
      fenceWaiter?.();
    }
  };

  const handles: Record<string, ClusterHandle> = {};
  for (const [clusterId, shardIds] of Object.entries(cfg.layout.clusters)) {
    const handle = spawnCluster({
      mode: 'process',
      clusterId,
      shardIds: [...shardIds],
      totalShards: cfg.layout.totalShards,
      token: cfg.token,
      intents: 513,
      gateway: { url: cfg.url, maxConcurrency: cfg.maxConcurrency },
      compression: 'none',
      identifyQueue,
      handoverLedger,
      timing: { identifyWindowMs: cfg.identifyWindowMs, reshardMatchWindowMs: cfg.matchWindowMs },
      // CONTROL reads every marker: a window large enough that no cluster drops a forward while this process is busy
      forward: { dispatches: ['MESSAGE_CREATE'], maxUnreadBytes: 256 << 20 },
    });
    handle.messages$.subscribe((m) => onMessage(clusterId, m));
    handles[clusterId] = handle;
  }
  const close = async () => {
    await Promise.allSettled(Object.values(handles).map((h) => h.shutdown()));
    for (const h of Object.values(handles)) h.kill();
    await Promise.all(Object.values(handles).map((h) => h.exited));
    await handoverLedger.close();
  };
  try {
    const ready = await Promise.all(Object.values(handles).map((h) => h.ready));
    const failed = ready.flatMap((r) => r.failed);
    if (failed.length > 0) throw new Error(`fleet start: shard(s) ${failed.join(', ')} failed`);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    handles,
    identifyQueue,
    ledger,
    counts,
    sentAt,
    latency,
    residue,
    ledgerStates,
    forwardDropped: () => dropped,
    fences: (names, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!names.every((n) => fencesSeen.has(n))) return;
          clearTimeout(timer);
          fenceWaiter = undefined;
          resolve();
        };
        const timer = setTimeout(() => reject(new Error(`fleet: fences missing after ${timeoutMs} ms: ${names.filter((n) => !fencesSeen.has(n)).join(', ')}`)), timeoutMs);
        fenceWaiter = check;
        check();
      }),
    close,
  };
};
