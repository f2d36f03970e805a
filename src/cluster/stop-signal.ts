import type { Observer, Subscribable, Unsubscribable } from 'rxjs';

/**
 * The cluster's stop request, heard by every shard: a Subscribable that keeps its listeners in a
 * Set. A Subject would cost each of a thousand shards a subscriber chain of its own.
 */
export class StopSignal<T> implements Subscribable<T> {
  private readonly listeners = new Set<Partial<Observer<T>>>();

  subscribe(observer: Partial<Observer<T>>): Unsubscribable {
    this.listeners.add(observer);
    return new Listening(this.listeners, observer);
  }

  /** Tells every listener, including one that stops listening while it is told. */
  emit(value: T): void {
    for (const listener of [...this.listeners]) listener.next?.(value);
  }
}

/** One listener's place in a `StopSignal`. */
class Listening<T> implements Unsubscribable {
  constructor(
    private readonly listeners: Set<Partial<Observer<T>>>,
    private readonly observer: Partial<Observer<T>>,
  ) {}

  unsubscribe(): void {
    this.listeners.delete(this.observer);
  }
}
