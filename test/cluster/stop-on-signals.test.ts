import test from 'ava';
import { EventEmitter } from 'node:events';
import { handleStopSignals, signalExitCode, DEADLINE_EXIT_CODE } from '../../src/cluster/signal-stop.js';
import { stopOnSignals, type Stoppable } from '../../src/cluster/stop-on-signals.js';
import { createMemorySessionStore } from '../../src/cluster/session-store.js';
import type { SessionSnapshot } from '../../src/shard/types.js';

/** A process stand-in: signals are emitted by the test, `exit` records its code and resolves `exited`. */
const fakeProcess = () => {
  const emitter = new EventEmitter();
  const codes: number[] = [];
  let resolve: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (resolve = r));
  return {
    emitter,
    codes,
    exited,
    process: {
      on: (signal: NodeJS.Signals, listener: (s: NodeJS.Signals) => void) => emitter.on(signal, listener),
      off: (signal: NodeJS.Signals, listener: (s: NodeJS.Signals) => void) => emitter.off(signal, listener),
      exit: (code: number) => {
        codes.push(code);
        resolve(code);
      },
    },
    signal: (signal: NodeJS.Signals) => emitter.emit(signal, signal),
  };
};

const snapshot = (shardId: number): SessionSnapshot => ({ sessionId: `s${shardId}`, seq: 7, resumeUrl: 'ws://127.0.0.1:1', shardId, totalShards: 2 });

/** A cluster whose shutdown is settled by the test. */
const fakeCluster = () => {
  const calls: Array<{ keepSessions?: boolean } | undefined> = [];
  let settle: (sessions: SessionSnapshot[]) => void = () => {};
  const cluster: Stoppable = {
    shutdown: (options) => {
      calls.push(options);
      return new Promise((resolve) => (settle = resolve));
    },
  };
  return { cluster, calls, finish: (sessions: SessionSnapshot[]) => settle(sessions) };
};

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: shutdown keeping sessions, sessions saved and flushed to the store, onStopped told, then exit 0`, async (t) => {
    const p = fakeProcess();
    const { cluster, calls, finish } = fakeCluster();
    const store = createMemorySessionStore();
    let flushed = 0;
    const lines: string[] = [];
    let told: { sessions: readonly SessionSnapshot[]; signal: string } | null = null;
    stopOnSignals(cluster, {
      keepSessions: true,
      sessionStore: { ...store, flush: async () => void flushed++ },
      onStopped: (sessions, heard) => void (told = { sessions, signal: heard }),
      process: p.process,
      log: (line) => lines.push(line),
    });
    p.signal(signal);
    t.deepEqual(calls, [{ keepSessions: true }]);
    t.deepEqual(p.codes, [], 'no exit before the stop finished');
    finish([snapshot(0), snapshot(1)]);
    t.is(await p.exited, 0);
    t.deepEqual([...store.snapshots.keys()].sort(), [0, 1]);
    t.is(flushed, 1);
    t.deepEqual(told, { sessions: [snapshot(0), snapshot(1)], signal });
    t.regex(lines[0]!, new RegExp(`${signal}: stopping, keeping sessions`));
    t.deepEqual(p.codes, [0]);
  });
}

test('a second signal during the stop exits at once with 128 + its number, and says so', async (t) => {
  const p = fakeProcess();
  const { cluster } = fakeCluster();
  const lines: string[] = [];
  stopOnSignals(cluster, { process: p.process, log: (line) => lines.push(line) });
  p.signal('SIGTERM');
  p.signal('SIGINT');
  t.deepEqual(p.codes, [signalExitCode('SIGINT')]);
  t.is(signalExitCode('SIGINT'), 130);
  t.is(signalExitCode('SIGTERM'), 143);
  t.regex(lines.at(-1)!, /SIGINT again during the stop: exiting at once/);
});

test('a stop that does not finish within its deadline exits with 124 and says so', async (t) => {
  const p = fakeProcess();
  const { cluster } = fakeCluster(); // never finishes
  const lines: string[] = [];
  stopOnSignals(cluster, { process: p.process, deadlineMs: 30, log: (line) => lines.push(line) });
  p.signal('SIGTERM');
  t.is(await p.exited, DEADLINE_EXIT_CODE);
  t.regex(lines.at(-1)!, /did not finish within its deadline of 30 ms: exiting anyway/);
});

test('a failed stop exits 1, naming the error code only', async (t) => {
  const p = fakeProcess();
  const lines: string[] = [];
  const cluster: Stoppable = { shutdown: async () => Promise.reject(Object.assign(new Error('secret-token-in-message'), { code: 'CLUSTER_FATAL' })) };
  stopOnSignals(cluster, { process: p.process, log: (line) => lines.push(line) });
  p.signal('SIGTERM');
  t.is(await p.exited, 1);
  t.regex(lines.at(-1)!, /the stop failed \(CLUSTER_FATAL\)/);
  t.false(lines.join('\n').includes('secret-token'));
});

test('keepSessions false asks shutdown without sessions and saves nothing', async (t) => {
  const p = fakeProcess();
  const { cluster, calls, finish } = fakeCluster();
  const store = createMemorySessionStore();
  stopOnSignals(cluster, { keepSessions: false, sessionStore: store, process: p.process, log: false });
  p.signal('SIGINT');
  finish([]);
  t.is(await p.exited, 0);
  t.deepEqual(calls, [{ keepSessions: false }]);
  t.is(store.snapshots.size, 0);
});

test('the returned function removes every handler; only the chosen signals are handled', (t) => {
  const p = fakeProcess();
  const { cluster, calls } = fakeCluster();
  const remove = stopOnSignals(cluster, { process: p.process, signals: ['SIGTERM'], log: false });
  t.is(p.emitter.listenerCount('SIGTERM'), 1);
  t.is(p.emitter.listenerCount('SIGINT'), 0);
  remove();
  t.is(p.emitter.listenerCount('SIGTERM'), 0);
  p.signal('SIGTERM');
  t.deepEqual(calls, []);
  t.deepEqual(p.codes, []);
});

test('handleStopSignals reads a deadline given as a function when the first signal comes', async (t) => {
  const p = fakeProcess();
  let deadline = 10_000;
  const lines: string[] = [];
  handleStopSignals({ stop: () => new Promise(() => {}), deadlineMs: () => deadline, process: p.process, log: (line) => lines.push(line), name: 'test' });
  deadline = 20;
  p.signal('SIGTERM');
  t.is(await p.exited, DEADLINE_EXIT_CODE);
  t.regex(lines[0]!, /^test: SIGTERM: stopping/);
  t.regex(lines[0]!, /20 ms/);
});
