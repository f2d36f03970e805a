import type { Emulator } from '../../src/testing/index.js';

/** Every fault the soak injects, by name: what it does to one shard (or to all, for `restart`). */
export const FAULTS = {
  drop: (gw, shardId) => gw.drop(shardId),
  zombie: (gw, shardId) => gw.zombie(shardId, true),
  'op 7 reconnect': (gw, shardId) => gw.reconnect(shardId),
  'op 9 resumable': (gw, shardId) => gw.invalidate(shardId, true),
  'op 9 not resumable': (gw, shardId) => gw.invalidate(shardId, false),
  'close 4000': (gw, shardId) => gw.closeShard(shardId, 4000),
  'close 4001': (gw, shardId) => gw.closeShard(shardId, 4001),
  'close 4002': (gw, shardId) => gw.closeShard(shardId, 4002),
  'close 4003': (gw, shardId) => gw.closeShard(shardId, 4003),
  'close 4005': (gw, shardId) => gw.closeShard(shardId, 4005),
  'close 4007': (gw, shardId) => gw.closeShard(shardId, 4007),
  'close 4008': (gw, shardId) => gw.closeShard(shardId, 4008),
  'close 4009': (gw, shardId) => gw.closeShard(shardId, 4009),
  'truncated zlib frame': (gw, shardId) => gw.truncate(shardId),
  'emulator restart': (gw) => void gw.restart(),
} satisfies Record<string, (gw: Emulator, shardId: number) => unknown>;

/** A fault's name. */
export type FaultName = keyof typeof FAULTS;

/** The names, in a fixed order (so a seed replays the same run). */
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

/** A small seeded PRNG (mulberry32): the same seed draws the same faults. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
};
