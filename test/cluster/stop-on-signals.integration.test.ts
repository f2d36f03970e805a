import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { createEmulator, type Emulator, type FrameRecord } from '../../src/testing/index.js';
import type { SessionSnapshot } from '../../src/shard/types.js';
import { DEADLINE_EXIT_CODE } from '../../src/cluster/signal-stop.js';
import { everyClose } from '../helpers/closes.js';

const TOKEN = 'stop-on-signals-token';

/** The fixture bot in a process of its own, its output collected. */
const bot = (t: ExecutionContext, gw: Emulator, sessions: readonly SessionSnapshot[], deadlineMs = 8_000) => {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/signal-bot.ts', import.meta.url).pathname, gw.url, TOKEN, JSON.stringify(sessions), String(deadlineMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = stdout.split('\n').find((l) => l.startsWith(prefix));
        if (found !== undefined) resolve(found);
        return found !== undefined;
      };
      if (check()) return;
      child.stdout.on('data', check);
      void exited.then(() => check() || reject(new Error(`exited before ${prefix}: ${stdout}\n${stderr}`)));
    });
  return { child, exited, line, stderr: () => stderr };
};

const identifies = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2).length;
const resumes = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 6).length;
/** How many connections the client closed with 4000, once the emulator heard every close. */
const closedBy4000 = async (gw: Emulator) => (await everyClose(gw)).filter((r) => r.by === 'client' && r.code === 4000).length;

test.serial('a real SIGTERM to a process running stopOnSignals: 4000 closes, sessions saved to its store, exit 0; the next start resumes with 0 identifies', async (t) => {
  const gw = await createEmulator({ token: TOKEN, shards: 2, heartbeatInterval: 500, identifyWindowMs: 200, guilds: 4 });
  t.teardown(() => gw.close());
  const first = bot(t, gw, []);
  t.is(await first.line('READY'), 'READY 2');
  first.child.kill('SIGTERM');
  const saved = JSON.parse((await first.line('SAVED')).slice('SAVED '.length)) as SessionSnapshot[];
  t.is(await first.exited, 0);
  t.deepEqual(saved.map((s) => s.shardId).sort(), [0, 1]);
  t.is(await closedBy4000(gw), 2);
  t.false(gw.records.some((r) => r.kind === 'close' && r.code === 1006));
  t.regex(first.stderr(), /SIGTERM: stopping, keeping sessions/);

  const second = bot(t, gw, saved);
  t.is(await second.line('READY'), 'READY 2');
  t.is(identifies(gw), 2, 'no new identify');
  t.is(resumes(gw), 2);
  second.child.kill('SIGINT');
  t.is(await second.exited, 0);
  t.is(await closedBy4000(gw), 4);
});

test.serial('a real SIGTERM whose stop cannot finish (the gateway reads nothing) exits with 124 at the deadline, saying so', async (t) => {
  const gw = await createEmulator({ token: TOKEN, shards: 2, heartbeatInterval: 500, identifyWindowMs: 200, guilds: 4 });
  t.teardown(() => gw.close());
  const stuck = bot(t, gw, [], 300);
  await stuck.line('READY');
  for (const id of [0, 1]) gw.pauseReading(id, true);
  stuck.child.kill('SIGTERM');
  t.is(await stuck.exited, DEADLINE_EXIT_CODE);
  t.regex(stuck.stderr(), /did not finish within its deadline of 300 ms: exiting anyway/);
});

test.serial('the handlers do not keep a process alive: one with nothing else to do exits 0 by itself', async (t) => {
  const script = "import { stopOnSignals } from './src/index.ts'; stopOnSignals({ shutdown: async () => [] }); console.log('installed');";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.is(code, 0);
  t.is(stdout.trim(), 'installed');
});
