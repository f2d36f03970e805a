/**
 * The one thing the bridge needs of a channel: send a message, hear messages, close. Adapters
 * for a child process's IPC channel and for a worker thread's `MessagePort` live beside it.
 */
import type { Observable } from 'rxjs';

/** A message channel between a cluster and CONTROL. */
export interface Transport {
  /** Sends one message (structured data, never a string of code). */
  send(message: unknown): void;
  /** Every message received, unvalidated; completes when the other end goes away. */
  readonly messages$: Observable<unknown>;
  /** Sends what is queued, then closes the channel. */
  close(): Promise<void>;
}
