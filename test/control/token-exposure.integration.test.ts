import test from 'ava';
import { readFileSync } from 'node:fs';
import { emulator, options, spawn, TOKEN } from './helpers.js';

test('a forked cluster gets the token over IPC only: not in its command line, not in its environment', async (t) => {
  const gw = await emulator(t);
  const { handle, inbound } = spawn(t, options(gw, { mode: 'process' }));
  await handle.ready;
  const spawned = inbound.events.find((m) => m.type === 'spawned');
  t.truthy(spawned, 'the cluster said spawned, with its pid');
  const pid = (spawned as { pid: number }).pid;
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  t.true(cmdline.length > 0 && environ.length > 0, 'the process could be read');
  t.false(cmdline.includes(TOKEN));
  t.false(environ.includes(TOKEN));
  await handle.shutdown();
});
