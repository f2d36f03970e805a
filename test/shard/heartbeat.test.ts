import test from 'ava';
import { NEVER } from 'rxjs';
import { heartbeat } from '../../src/shard/heartbeat.js';
import { virtualTime } from './marbles.js';

const signals = { b: { type: 'beat' }, z: { type: 'zombie' }, a: { type: 'ack', latencyMs: 2 } };

test('first beat after interval × random, then every interval, acks measured', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    // interval 10 ms, random 0.5: beats at 5, 15, 25; each ACK 2 ms later.
    const ack$ = cold('-------a---------a---------a', { a: 1 });
    expectObservable(heartbeat(10, ack$, NEVER, ts, () => 0.5), '^ 30ms !').toBe('-----b-a-------b-a-------b-a', signals);
  });
});

test('jitter bounds: random 0 beats at once, random just under 1 beats before one interval', (t) => {
  const first = virtualTime(t);
  first.run(({ expectObservable }) => {
    expectObservable(heartbeat(10, NEVER, NEVER, first, () => 0), '^ 5ms !').toBe('b', signals);
  });
  const last = virtualTime(t);
  last.run(({ expectObservable }) => {
    expectObservable(heartbeat(10, NEVER, NEVER, last, () => 0.999), '^ 12ms !').toBe('---------b', signals);
  });
});

test('no ACK between two beats is a zombie, caught within two intervals, and the stream ends', (t) => {
  const ts = virtualTime(t);
  ts.run(({ expectObservable }) => {
    expectObservable(heartbeat(10, NEVER, NEVER, ts, () => 0.5)).toBe('-----b---------(z|)', signals);
  });
});

test('an ACK for the previous beat keeps the connection alive even if it comes late', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const ack$ = cold('--------------a', { a: 1 });
    expectObservable(heartbeat(10, ack$, NEVER, ts, () => 0.5), '^ 20ms !').toBe('-----b--------cb', { ...signals, c: { type: 'ack', latencyMs: 9 } });
  });
});

test('a server request beats at once without moving the interval', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const ack$ = cold('-------a----a----a', { a: 1 });
    const request$ = cold('----------r', { r: 1 });
    expectObservable(heartbeat(10, ack$, request$, ts, () => 0.5), '^ 24ms !').toBe('-----b-a--b-a--b-a', {
      ...signals,
      a: { type: 'ack', latencyMs: 2 },
    });
  });
});

test('an ACK nobody waited for is ignored', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const ack$ = cold('--a', { a: 1 });
    expectObservable(heartbeat(10, ack$, NEVER, ts, () => 0.5), '^ 8ms !').toBe('-----b', signals);
  });
});

test('an ACK that arrives in the same turn as the late tick is not a zombie (busy event loop)', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    // the tick at 15 finds beat 5 unacknowledged, but its ACK is read in the same frame
    const ack$ = cold('---------------a', { a: 1 });
    expectObservable(heartbeat(10, ack$, NEVER, ts, () => 0.5), '^ 20ms !').toBe('-----b---------(cb)', { ...signals, c: { type: 'ack', latencyMs: 10 } });
  });
});

const late = { ...signals, x: { type: 'ack', latencyMs: 26 }, y: { type: 'ack', latencyMs: 17 }, w: { type: 'ack', latencyMs: 8 } };
const storm = (from: number, to: number) => '-'.repeat(from) + 'f'.repeat(to - from + 1);

test('a storm: frames keep arriving, so late ACKs are forgiven, a beat still goes out every interval, and the ACKs are matched in order', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    // beats at 5, 15, 25 wait behind frames arriving every ms from 6 to 30; their ACKs come at 31, 32, 33
    const inbound$ = cold(storm(6, 30));
    const ack$ = cold(`${'-'.repeat(31)}aaa`);
    expectObservable(heartbeat(10, ack$, NEVER, ts, () => 0.5, { inbound$ }), '^ 36ms !').toBe('-----b---------b---------b-----xyw-b', late);
  });
});

test('nothing received since the beat: a zombie at the next tick, as before, even after earlier traffic', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const inbound$ = cold('--ff');
    expectObservable(heartbeat(10, NEVER, NEVER, ts, () => 0.5, { inbound$ })).toBe('-----b---------(z|)', signals);
  });
});

test('traffic that stops: forgiven once, a zombie at the first tick after an interval with nothing received', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const inbound$ = cold(storm(6, 12));
    expectObservable(heartbeat(10, NEVER, NEVER, ts, () => 0.5, { inbound$ })).toBe('-----b---------b---------(z|)', signals);
  });
});

test('a trickle that never brings an ACK is a zombie once the oldest beat passes the late ACK limit', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const inbound$ = cold(storm(0, 60));
    expectObservable(heartbeat(10, NEVER, NEVER, ts, () => 0.5, { inbound$, lateAckMs: 25 })).toBe('-----b---------b---------b---------(z|)', signals);
  });
});

test('a frame read in the same turn as the late tick counts, like an ACK does (busy event loop)', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    const inbound$ = cold(`${'-'.repeat(15)}f`);
    expectObservable(heartbeat(10, NEVER, NEVER, ts, () => 0.5, { inbound$ }), '^ 20ms !').toBe('-----b---------b', signals);
  });
});

test('frames held on our side (the read turn paused the socket) count as arriving while held; once released, silence is a zombie again', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    // beat at 5 unanswered; held from 2 to 18: the tick at 15 forgives it; nothing after: zombie at 25
    const held$ = cold('--t---------------f', { t: true, f: false });
    expectObservable(heartbeat(10, NEVER, NEVER, ts, () => 0.5, { inbound$: NEVER, held$ })).toBe('-----b---------b---------(z|)', signals);
  });
});

test('a connection held back between two beats, even briefly and released before the tick, is not silent at that tick; silence after is a zombie', (t) => {
  const ts = virtualTime(t);
  ts.run(({ cold, expectObservable }) => {
    // beat at 5 unanswered; held from 7 to 8 only (another connection's frames waited): the tick at 15 forgives it; nothing after: zombie at 25
    const held$ = cold('-------tf', { t: true, f: false });
    expectObservable(heartbeat(10, NEVER, NEVER, ts, () => 0.5, { inbound$: NEVER, held$ })).toBe('-----b---------b---------(z|)', signals);
  });
});
