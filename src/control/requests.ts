import { DisclusterError } from '../gateway/errors.js';
import type { ToControlMessage, ToControlOf, ToControlType } from './to-control.js';

/** Reply types: each answers a request by echoing its nonce. */
export type ReplyType = 'command-result' | 'stats' | 'pong' | 'stopped' | 'resharded' | 'reshard-phase';

interface Pending {
  readonly expect: ReplyType;
  readonly resolve: (message: ToControlMessage) => void;
  readonly reject: (error: Error) => void;
  readonly refusal: ((message: ToControlOf<'error'>) => Error) | undefined;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** CONTROL's table of requests waiting for their reply. */
export interface Requests {
  /**
   * Sends the message built with a fresh nonce; resolves with the reply of type `expect`, or rejects
   * after `timeoutMs` (`CONTROL_TIMEOUT`), or with `refusal(error)` when an `error` names the nonce
   * (default: `PROTOCOL_INVALID`).
   */
  request<K extends ReplyType>(
    expect: K,
    build: (nonce: number) => void,
    timeoutMs: number,
    what: string,
    refusal?: (message: ToControlOf<'error'>) => Error,
  ): Promise<ToControlOf<K>>;
  /** Offers an incoming message; true when it settled a request (a reply, or an `error` naming its nonce). */
  settle(message: ToControlMessage): boolean;
  /** Rejects every waiting request (the cluster exited). */
  failAll(error: Error): void;
}

const REPLY_TYPES: ReadonlySet<ToControlType> = new Set<ReplyType>(['command-result', 'stats', 'pong', 'stopped', 'resharded', 'reshard-phase']);

const refused = (message: ToControlOf<'error'>) =>
  new DisclusterError('PROTOCOL_INVALID', `the cluster refused the request (${message.code}): ${message.message}`);

/** A request table; nonces count up from 1. */
export const createRequests = (): Requests => {
  const pending = new Map<number, Pending>();
  let nextNonce = 1;
  let failed: Error | null = null;
  const take = (nonce: number) => {
    const entry = pending.get(nonce);
    if (entry !== undefined) {
      pending.delete(nonce);
      clearTimeout(entry.timer);
    }
    return entry;
  };
  return {
    request: <K extends ReplyType>(expect: K, build: (nonce: number) => void, timeoutMs: number, what: string, refusal?: (message: ToControlOf<'error'>) => Error) =>
      new Promise<ToControlOf<K>>((resolve, reject) => {
        if (failed !== null) return reject(failed);
        const nonce = nextNonce++;
        const timer = setTimeout(() => {
          take(nonce);
          reject(new DisclusterError('CONTROL_TIMEOUT', `the cluster did not answer ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(nonce, { expect, resolve: resolve as (message: ToControlMessage) => void, reject, refusal, timer });
        try {
          build(nonce);
        } catch (error) {
          take(nonce);
          reject(error as Error);
        }
      }),
    settle(message) {
      if (!('nonce' in message) || message.nonce === undefined) return false;
      if (message.type === 'error') {
        const entry = take(message.nonce);
        entry?.reject((entry.refusal ?? refused)(message));
        return entry !== undefined;
      }
      if (!REPLY_TYPES.has(message.type) || pending.get(message.nonce)?.expect !== message.type) return false;
      take(message.nonce)!.resolve(message);
      return true;
    },
    failAll(error) {
      failed = error;
      for (const nonce of [...pending.keys()]) take(nonce)?.reject(error);
    },
  };
};
