import type { MessagePort } from 'node:worker_threads';
import { Observable, share } from 'rxjs';
import type { Transport } from './transport.js';

/**
 * A transport over a worker-thread `MessagePort` (either end). `messages$` completes when the
 * port closes; a message that cannot be deserialized arrives as `undefined` (and is refused as
 * not an object).
 */
export const portTransport = (port: MessagePort): Transport => {
  let closed = false;
  let closing: Promise<void> | null = null;
  port.once('close', () => (closed = true));
  const messages$ = new Observable<unknown>((subscriber) => {
    const onMessage = (message: unknown) => subscriber.next(message);
    const onBroken = () => subscriber.next(undefined);
    const onClose = () => subscriber.complete();
    port.on('message', onMessage);
    port.on('messageerror', onBroken);
    port.on('close', onClose);
    if (closed) subscriber.complete();
    return () => {
      port.off('message', onMessage);
      port.off('messageerror', onBroken);
      port.off('close', onClose);
    };
  }).pipe(share());
  return {
    messages$,
    send(message) {
      if (!closed) port.postMessage(message);
    },
    close() {
      // posted messages are already queued on the channel; closing after a turn lets them go first
      closing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (!closed) port.close();
      });
      return closing;
    },
  };
};
