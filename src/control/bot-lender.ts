/** One bot's shared thing, lent to a cluster; `release()` once the cluster has exited. */
export interface Lent<T> {
  readonly value: T;
  release(): void;
}

interface Entry<T> {
  readonly value: T;
  users: number;
}

/**
 * Things a CONTROL process shares between the clusters of one bot (its identify queue, its
 * handover ledger), by reference count: made on a bot's first `lend`, dropped (and `retire`d)
 * when the last cluster using it releases it. Releasing twice counts once.
 */
export class BotLender<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly retire: (value: T) => void = () => {}) {}

  /** The bot's thing (`key` names the bot), made by `make` on first use; `check` may refuse to share one that exists. */
  lend(key: string, make: () => T, check?: (existing: T) => void): Lent<T> {
    let entry = this.entries.get(key);
    if (entry !== undefined) check?.(entry.value);
    if (entry === undefined) {
      entry = { value: make(), users: 0 };
      this.entries.set(key, entry);
    }
    const lent = entry;
    lent.users++;
    let released = false;
    return {
      value: lent.value,
      release: () => {
        if (released) return;
        released = true;
        if (--lent.users > 0 || this.entries.get(key) !== lent) return;
        this.entries.delete(key);
        this.retire(lent.value);
      },
    };
  }

  /** How many bots have one now. */
  get size(): number {
    return this.entries.size;
  }
}
