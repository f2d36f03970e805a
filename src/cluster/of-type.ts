import type { GatewayDispatchEvents, GatewayDispatchPayload } from 'discord-api-types/v10';
import { filter, type OperatorFunction } from 'rxjs';
import type { ShardDispatchEvent } from '../shard/types.js';

/** Each dispatch event name mapped to its data type, from `discord-api-types`. */
export type DispatchDataMap = { [P in GatewayDispatchPayload as `${P['t']}`]: P['d'] };

/** The data type of a dispatch event name (`unknown` for names Discord has not documented). */
export type DispatchData<K extends string> = K extends keyof DispatchDataMap ? DispatchDataMap[K] : unknown;

/** A dispatch whose `t` is `K` and whose `d` is typed accordingly. */
export interface TypedDispatch<K extends string> extends ShardDispatchEvent {
  readonly t: K;
  readonly d: DispatchData<K>;
}

/**
 * Keeps the dispatches with one of the given names and narrows `d` to their types.
 *
 * ```ts
 * cluster.dispatch$.pipe(ofType('MESSAGE_CREATE')).subscribe(({ d }) => d.content);
 * ```
 */
export const ofType = <K extends `${GatewayDispatchEvents}`>(...names: K[]): OperatorFunction<ShardDispatchEvent, TypedDispatch<K>> => {
  if (names.length === 1) {
    const only = names[0];
    return filter((event): event is TypedDispatch<K> => event.t === only);
  }
  const wanted = new Set<string>(names);
  return filter((event): event is TypedDispatch<K> => wanted.has(event.t));
};
