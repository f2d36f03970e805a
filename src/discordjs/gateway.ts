/**
 * `toDiscordjsGateway`: a cluster seen through @discordjs/core's `Gateway` interface, so that
 * `new Client({ rest, gateway: toDiscordjsGateway(cluster) })` runs a discord.js-style bot on
 * this library's shards. Only types come from @discordjs/*: at run time this module needs none of them.
 */
import type { Gateway } from '@discordjs/core';
import type { GatewayDispatchPayload, GatewaySendPayload } from 'discord-api-types/v10';
import type { Subscription } from 'rxjs';
import type { Cluster } from '../cluster/cluster.js';
import type { ShardCommand } from '../shard/types.js';

/** The event name @discordjs/core listens to (`WebSocketShardEvents.Dispatch`). */
type DispatchEventName = Parameters<Gateway['on']>[0] | 'dispatch';

/** A dispatch listener as @discordjs/core registers it: the payload `{ op: 0, t, s, d }` and the shard id. */
export type DiscordjsDispatchListener = (payload: GatewayDispatchPayload, shardId: number) => unknown;

/** What the adapter needs of a cluster: its dispatches, its command path and its shard count. */
export type DiscordjsGatewaySource = Pick<Cluster, 'dispatch$' | 'send' | 'layout'>;

/** Options of {@link toDiscordjsGateway}. */
export interface DiscordjsGatewayOptions {
  /**
   * Hears an error thrown (or a promise rejected) by a dispatch listener; the other listeners and
   * the cluster carry on. Default: rethrown on a later tick, as RxJS does with an error thrown
   * by a subscriber, so it is not swallowed.
   */
  readonly onListenerError?: (error: unknown, payload: GatewayDispatchPayload, shardId: number) => void;
}

/** @discordjs/core's `Gateway`, plus the means to remove listeners and to detach from the cluster. */
export interface DiscordjsGateway extends Gateway {
  /** Adds a dispatch listener; the first one subscribes to the cluster's `dispatch$`. */
  on(event: DispatchEventName, listener: DiscordjsDispatchListener): this;
  /** Removes a dispatch listener; when none is left the adapter unsubscribes from `dispatch$`. */
  off(event: DispatchEventName, listener: DiscordjsDispatchListener): this;
  /** Removes every listener and unsubscribes from `dispatch$`. The cluster keeps running; `on` may attach again. */
  detach(): void;
}

const rethrowLater = (error: unknown): void => {
  setTimeout(() => {
    throw error;
  });
};

class ClusterGateway implements DiscordjsGateway {
  private readonly listeners = new Set<DiscordjsDispatchListener>();
  private subscription: Subscription | null = null;

  constructor(
    private readonly cluster: DiscordjsGatewaySource,
    private readonly onListenerError: NonNullable<DiscordjsGatewayOptions['onListenerError']>,
  ) {}

  getShardCount(): number {
    return this.cluster.layout().totalShards;
  }

  send(shardId: number, payload: GatewaySendPayload): Promise<void> {
    // The cluster refuses, with a DisclusterError, a shard it does not run and opcodes a bot may not send.
    return this.cluster.send(shardId, { op: payload.op, d: payload.d } as ShardCommand);
  }

  on(event: DispatchEventName, listener: DiscordjsDispatchListener): this {
    if (event !== 'dispatch') return this;
    this.listeners.add(listener);
    this.subscription ??= this.cluster.dispatch$.subscribe((event) => this.emit(event.t, event.s, event.d, event.shardId));
    return this;
  }

  off(event: DispatchEventName, listener: DiscordjsDispatchListener): this {
    if (event === 'dispatch' && this.listeners.delete(listener) && this.listeners.size === 0) this.unsubscribe();
    return this;
  }

  detach(): void {
    this.listeners.clear();
    this.unsubscribe();
  }

  private unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  private emit(t: string, s: number, d: unknown, shardId: number): void {
    const payload = { op: 0, t, s, d } as GatewayDispatchPayload;
    for (const listener of this.listeners) {
      try {
        const result = listener(payload, shardId);
        if (result instanceof Promise) result.catch((error: unknown) => this.onListenerError(error, payload, shardId));
      } catch (error) {
        this.onListenerError(error, payload, shardId);
      }
    }
  }
}

/**
 * Adapts a cluster to @discordjs/core's `Gateway`: `getShardCount()` is the cluster's
 * `layout().totalShards` at the time of the call (a reshard changes it), `send(shardId, payload)` goes through the cluster's
 * rate-limited `send`, and each dispatch reaches `on('dispatch', (payload, shardId) => …)`
 * listeners as `{ op: 0, t, s, d }`. The adapter subscribes to `dispatch$` while it has
 * listeners; `detach()` (or `off` of the last listener) unsubscribes.
 */
export const toDiscordjsGateway = (cluster: DiscordjsGatewaySource, options: DiscordjsGatewayOptions = {}): DiscordjsGateway =>
  new ClusterGateway(cluster, options.onListenerError ?? rethrowLater);
