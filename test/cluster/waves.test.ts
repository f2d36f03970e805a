import test from 'ava';
import { identifyWaves, startInWaves } from '../../src/cluster/waves.js';
import { virtualTime } from '../shard/marbles.js';

test('waves hold at most one shard per bucket, in shard order', (t) => {
  t.deepEqual(identifyWaves([0, 1, 2, 3, 4, 5, 6, 7], 2), [[0, 1], [2, 3], [4, 5], [6, 7]]);
  t.deepEqual(identifyWaves([7, 3, 11, 15], 4), [[3], [7], [11], [15]], 'one bucket: one shard a wave');
  t.deepEqual(identifyWaves([0, 1, 5], 4), [[0, 1], [5]]);
  t.deepEqual(identifyWaves([], 4), []);
});

test('the next wave starts when the last shard of the current one settles, or at the timeout', (t) => {
  const ts = virtualTime(t);
  const started: Array<[number, number]> = [];
  ts.run(({ flush }) => {
    const waves = startInWaves([[0, 1], [2, 3], [4]], (id) => started.push([id, ts.now()]), ts, 100);
    ts.schedule(() => waves.settled(0), 10);
    ts.schedule(() => waves.settled(4), 15); // not in the current wave: ignored
    ts.schedule(() => waves.settled(1), 20); // wave 2 starts at 20
    ts.schedule(() => waves.settled(2), 30); // shard 3 never settles: wave 3 starts at 20 + 100
    flush();
  });
  t.deepEqual(started, [[0, 0], [1, 0], [2, 20], [3, 20], [4, 120]]);
});

test('stop() starts no further wave', (t) => {
  const ts = virtualTime(t);
  const started: number[] = [];
  ts.run(({ flush }) => {
    const waves = startInWaves([[0], [1]], (id) => started.push(id), ts, 100);
    waves.stop();
    waves.settled(0);
    flush();
  });
  t.deepEqual(started, [0]);
});
