import type { Redis } from 'ioredis';

interface Waiting {
  readonly ids: string[];
  readonly settle: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

/**
 * Gathers the acks of one event-loop turn into one `XACK key group id…` per stream (one command
 * for a whole batch a worker acks at once, instead of one per entry). Each `ack` resolves when
 * Redis has answered the XACK carrying its id.
 */
export class AckBatcher {
  private waiting = new Map<string, Waiting>();
  private scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly group: string,
  ) {}

  /** Queues `id` of stream `key` for the XACK sent at the end of this turn. */
  ack(key: string, id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let batch = this.waiting.get(key);
      if (batch === undefined) this.waiting.set(key, (batch = { ids: [], settle: [] }));
      batch.ids.push(id);
      batch.settle.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is queued now (teardown does, before closing the client: acks given before unsubscribing still count). */
  flush(): void {
    this.scheduled = false;
    const batches = this.waiting;
    this.waiting = new Map();
    for (const [key, { ids, settle }] of batches) {
      this.redis.xack(key, this.group, ...ids).then(
        () => settle.forEach((s) => s.resolve()),
        (error: unknown) => settle.forEach((s) => s.reject(error)),
      );
    }
  }
}
