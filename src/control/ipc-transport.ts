import { Observable, share } from 'rxjs';
import type { Transport } from './transport.js';

/** What a child process's `process` and the parent's `ChildProcess` both offer: a Node IPC channel. */
export interface IpcEndpoint {
  readonly connected: boolean;
  send?(message: unknown, sendHandle: undefined, options: undefined, callback: (error: Error | null) => void): boolean;
  disconnect?(): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
}

/**
 * A transport over a Node IPC channel (either end). `messages$` completes on `disconnect`;
 * `close()` waits until every sent message was handed to the channel, then disconnects.
 */
export const ipcTransport = (endpoint: IpcEndpoint): Transport => {
  let inFlight = 0;
  let drained: (() => void) | null = null;
  let closing: Promise<void> | null = null;
  const messages$ = new Observable<unknown>((subscriber) => {
    const onMessage = (message: unknown) => subscriber.next(message);
    const onDisconnect = () => subscriber.complete();
    endpoint.on('message', onMessage);
    endpoint.on('disconnect', onDisconnect);
    if (!endpoint.connected) subscriber.complete();
    return () => {
      endpoint.off('message', onMessage);
      endpoint.off('disconnect', onDisconnect);
    };
  }).pipe(share());
  return {
    messages$,
    send(message) {
      if (!endpoint.connected || endpoint.send === undefined) return;
      const settled = () => {
        inFlight--;
        if (inFlight === 0) drained?.();
      };
      inFlight++;
      try {
        endpoint.send(message, undefined, undefined, settled);
      } catch (error) {
        settled(); // not serializable (e.g. a bigint): nothing was queued
        throw error;
      }
    },
    close() {
      closing ??= (async () => {
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        if (endpoint.connected) endpoint.disconnect?.();
      })();
      return closing;
    },
  };
};
