import type { ShardDispatchEvent } from '../shard/types.js';
import type { DispatchSink, ReshardSetListener } from './host.js';

/** Dispatches the user did not ask for: the new set receives READY and GUILD_* for its own bookkeeping. */
export class WantedOnly implements DispatchSink {
  constructor(
    private readonly wanted: ReadonlySet<string>,
    private readonly sink: DispatchSink,
  ) {}

  next(event: ShardDispatchEvent): void {
    if (this.wanted.has(event.t)) this.sink.next(event);
  }
}

/** A sink that drops every event (a set no longer read). */
export const DISCARD: DispatchSink = { next: () => {} };
/** A listener that ignores every lifecycle event (a set no longer followed). */
export const IGNORE: ReshardSetListener = { lifecycle: () => {} };
