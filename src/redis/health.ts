import type { Redis } from 'ioredis';
import { BehaviorSubject, type Observable } from 'rxjs';

/** Whether Redis answers, as seen by one client. */
export interface RedisHealth {
  /** `up` once a command succeeded or the client is ready; `down` after a failure or a lost connection. */
  readonly redis: 'up' | 'down';
  /** When Redis stopped answering (`Date.now()` ms), or null while up. */
  readonly downSince: number | null;
  /** The last failure's message (kept after recovery, for logs), or null. */
  readonly lastError: string | null;
}

/** Tracks one client's health from its connection events and from command results. */
export interface HealthTracker {
  readonly health$: Observable<RedisHealth>;
  readonly current: RedisHealth;
  /** A command succeeded. */
  ok(): void;
  /** A command failed or the connection was lost. */
  failed(reason: string): void;
  /** Stops listening to the client. */
  close(): void;
}

/** Watches `redis` ('ready', 'close', 'error' events) and reports through `health$`. */
export const trackHealth = (redis: Redis, now: () => number = Date.now): HealthTracker => {
  const subject = new BehaviorSubject<RedisHealth>({ redis: redis.status === 'ready' ? 'up' : 'down', downSince: redis.status === 'ready' ? null : now(), lastError: null });
  const ok = () => {
    if (subject.value.redis === 'up') return;
    subject.next({ redis: 'up', downSince: null, lastError: subject.value.lastError });
  };
  const failed = (reason: string) => {
    const { redis: was, downSince, lastError } = subject.value;
    if (was === 'down' && lastError === reason) return;
    subject.next({ redis: 'down', downSince: downSince ?? now(), lastError: reason });
  };
  const onClose = () => failed('connection to Redis lost');
  // Listening to 'error' also keeps ioredis from printing "Unhandled error event" on every retry.
  const onError = (error: Error) => failed(error.message);
  redis.on('ready', ok);
  redis.on('close', onClose);
  redis.on('error', onError);
  return {
    health$: subject.asObservable(),
    get current() {
      return subject.value;
    },
    ok,
    failed,
    close: () => {
      redis.off('ready', ok);
      redis.off('close', onClose);
      redis.off('error', onError);
      subject.complete();
    },
  };
};
