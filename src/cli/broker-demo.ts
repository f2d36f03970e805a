/**
 * `BROKER_REDIS_URL=redis://… npm start`: the demo publishes its events to Redis Streams with
 * `publishDispatches` and shows what the broker carries. The demo's clusters are child processes,
 * so the producer runs here, in CONTROL, on the dispatches they forward (`forward.dispatches`);
 * a bot runs `publishDispatches(cluster, …)` in the cluster's own process instead (its entries'
 * `origin` then names the session, which forwarded dispatches do not carry).
 */
import { filter, map, merge, type Observable } from 'rxjs';
import { publishDispatches, type DispatchPublisher } from '../broker/index.js';
import type { ClusterHandle } from '../control/index.js';
import type { ShardDispatchEvent } from '../shard/types.js';

/** The events the demo forwards and publishes when the broker is on (the emulator's traffic, or what a bot usually hands to workers). */
export const BROKER_DEMO_EVENTS = ['MESSAGE_CREATE', 'TYPING_START', 'PRESENCE_UPDATE', 'INTERACTION_CREATE'] as const;

/** The demo's producer: its line for the live display, and its end. */
export interface BrokerDemo {
  readonly publisher: DispatchPublisher;
  /** `broker: 1234 published (300/s), pending 0, dropped 0`, the rate since the last call. */
  line(): string;
  close(): Promise<void>;
}

/** Starts publishing the dispatches `handles` forward to the Redis at `url` (streams `discluster-demo:<event>`, trimmed to ~10 000). */
export const startBrokerDemo = (url: string, handles: readonly ClusterHandle[]): BrokerDemo => {
  const dispatch$: Observable<ShardDispatchEvent> = merge(...handles.map((h) => h.messages$)).pipe(
    filter((message) => message.type === 'dispatch'),
    map((message) => ({ type: 'dispatch', shardId: message.shardId, t: message.t, s: message.s, d: message.d })),
  );
  const publisher = publishDispatches({ dispatch$ }, { redis: url, keyPrefix: 'discluster-demo:', maxLen: 10_000, events: [...BROKER_DEMO_EVENTS] });
  let last = { at: performance.now(), published: 0 };
  return {
    publisher,
    line() {
      const stats = publisher.stats();
      const now = performance.now();
      const rate = Math.round(((stats.published - last.published) * 1000) / Math.max(1, now - last.at));
      last = { at: now, published: stats.published };
      const trouble = stats.rejected > 0 ? `, rejected ${stats.rejected}` : '';
      return `broker: ${stats.published} published (${rate}/s), pending ${stats.pending}, dropped ${stats.dropped}${trouble}, Redis ${stats.redis}`;
    },
    close: () => publisher.close(),
  };
};
