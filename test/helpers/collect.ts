import { filter, firstValueFrom, type Observable, ReplaySubject, type Subscription, timeout } from 'rxjs';

/** A running stream whose events are kept, with a way to await the next one that matches. */
export interface Collected<T> {
  readonly events: T[];
  readonly subscription: Subscription;
  /** The first event (past or future) matching `predicate`; rejects after `ms` with a clear message. */
  when<S extends T>(predicate: ((event: T) => event is S) | ((event: T) => boolean), ms?: number): Promise<S>;
  /** Resolves when the stream completes (or errors). */
  readonly done: Promise<void>;
}

/** Subscribes to `source$` and keeps everything it emits. */
export const collect = <T>(source$: Observable<T>): Collected<T> => {
  const events: T[] = [];
  const replay = new ReplaySubject<T>();
  let finish = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  const subscription = source$.subscribe({
    next: (event) => {
      events.push(event);
      replay.next(event);
    },
    error: (error: unknown) => {
      replay.error(error);
      finish();
    },
    complete: () => {
      replay.complete();
      finish();
    },
  });
  return {
    events,
    subscription,
    done,
    when: <S extends T>(predicate: (event: T) => boolean, ms = 5000) =>
      firstValueFrom(
        replay.pipe(
          filter(predicate),
          timeout({ first: ms, with: () => Promise.reject(new Error(`no matching event within ${ms} ms; last: ${JSON.stringify(events.slice(-5))}`)) }),
        ),
      ) as unknown as Promise<S>,
  };
};

/**
 * One-shot file-system requests in flight. Not handles anything under test could leave behind (the
 * library does no file I/O), but on Node >= 22 tsx loads through in-thread `module.registerHooks`
 * and tidies its disk cache on the main thread at startup, so they come and go during early tests.
 */
const FILE_SYSTEM_REQUESTS = new Set(['FSReqCallback', 'FSReqPromise']);

/** Resources (sockets, timers) of this process by type, to compare before and after a test. */
export const activeResources = (): string[] =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r !== 'TTYWrap' && !FILE_SYSTEM_REQUESTS.has(r))
    .sort();
