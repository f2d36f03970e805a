import test from 'ava';
import { defer, of } from 'rxjs';
import { backoffDelay, repeatWithBackoff } from '../../src/shard/backoff.js';
import { virtualTime } from './marbles.js';

test('backoffDelay: full jitter under an exponential ceiling, capped', (t) => {
  const config = { initialMs: 100, maxMs: 1000, random: () => 0.999999 };
  t.deepEqual([0, 1, 2, 3, 4, 10, 100].map((n) => backoffDelay(n, config)), [99, 199, 399, 799, 999, 999, 999]);
  t.is(backoffDelay(5, { ...config, random: () => 0 }), 0);
  t.is(backoffDelay(1, { ...config, random: () => 0.5 }), 100);
});

test('delays grow while tries fail, reset after a success, and stop when told', (t) => {
  const ts = virtualTime(t);
  ts.run(({ expectObservable }) => {
    const outcomes = ['f', 'f', 'f', 's', 'f', 'f'];
    let tries = 0;
    // each try emits its outcome at once and completes; stop after 6 tries.
    const source = defer(() => of(outcomes[tries++]!));
    const result = source.pipe(
      repeatWithBackoff({ initialMs: 10, maxMs: 30, random: () => 0.5, scheduler: ts }, (v) => v === 's', () => tries < 6),
    );
    // delays: 5 (fail 0), 10 (fail 1), 15 (fail 2, capped 30*0.5), then success resets: 5, 10
    expectObservable(result).toBe('f 4ms f 9ms f 14ms s 4ms f 9ms (f|)');
  });
});

test('a stop during the delay ends the stream without another try', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const stop$ = cold('-------s');
    const result = of('f').pipe(repeatWithBackoff({ initialMs: 100, maxMs: 100, random: () => 0.5, scheduler: ts }, () => false, () => true, stop$));
    expectObservable(result).toBe('f------|');
  });
});

test('a minimum delay asked for the next try wins over a shorter backoff', (t) => {
  const ts = virtualTime(t);
  ts.run(({ expectObservable }) => {
    let tries = 0;
    const source = defer(() => of(tries++));
    const result = source.pipe(repeatWithBackoff({ initialMs: 10, maxMs: 10, random: () => 0.5, scheduler: ts }, () => false, () => tries < 3, undefined, () => (tries === 1 ? 40 : 0)));
    expectObservable(result).toBe('a 39ms b 4ms (c|)', { a: 0, b: 1, c: 2 });
  });
});
