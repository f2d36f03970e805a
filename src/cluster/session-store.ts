import type { SessionSnapshot } from '../shard/types.js';

/**
 * Where a cluster keeps its shards' sessions so a restarted process can resume them. `save` and
 * `delete` are fire-and-forget: the cluster never waits on them, and calls `save` at most once
 * per flush interval per shard, so a slow store never slows `dispatch$`.
 */
export interface SessionStore {
  /** The sessions kept for these shards (missing ones are absent). */
  load(shardIds: readonly number[]): Promise<ReadonlyMap<number, SessionSnapshot>> | ReadonlyMap<number, SessionSnapshot>;
  save(snapshot: SessionSnapshot): void;
  delete(shardId: number): void;
  /** Called on shutdown after the last save; resolves when everything is written. */
  flush?(): Promise<void>;
}

/** A session store in this process's memory: survives a cluster, not the process. */
export const createMemorySessionStore = (): SessionStore & { readonly snapshots: ReadonlyMap<number, SessionSnapshot> } => {
  const snapshots = new Map<number, SessionSnapshot>();
  return {
    snapshots,
    load: (shardIds) => new Map(shardIds.flatMap((id) => (snapshots.has(id) ? [[id, snapshots.get(id)!] as const] : []))),
    save: (snapshot) => void snapshots.set(snapshot.shardId, snapshot),
    delete: (shardId) => void snapshots.delete(shardId),
  };
};
