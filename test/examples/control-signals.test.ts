import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, type Emulator, type FrameRecord } from '../../src/testing/index.js';
import { everyClose } from '../helpers/closes.js';

/** examples/control.ts --serve on `gw`, in a process group of its own (its clusters join it). */
const serve = (t: ExecutionContext, gw: Emulator, file: string) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/control.ts', '--serve', '--api', gw.httpUrl, '--sessions', file], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
  });
  /** The first stdout line matching `pattern`; rejects if the program exits first. */
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = stdout.split('\n').find((l) => pattern.test(l));
        if (found === undefined) return false;
        child.stdout!.off('data', check);
        resolve(found);
        return true;
      };
      if (check()) return;
      child.stdout!.on('data', check);
      void exited.then(() => check() || reject(new Error(`exited before ${pattern}: ${stdout}\n${stderr}`)));
    });
  return { child: child as ChildProcess, exited, line, output: () => ({ stdout, stderr }) };
};

const identifies = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 2).length;
const resumes = (gw: Emulator) => gw.records.filter((r): r is FrameRecord => r.kind === 'frame' && r.op === 6).length;
/** How many connections the client closed with 4000 (a close frame), and how many ended without one, once the emulator heard every close. */
const closes = async (gw: Emulator) => {
  const all = await everyClose(gw);
  return { by4000: all.filter((r) => r.by === 'client' && r.code === 4000).length, without: all.filter((r) => r.code === 1006).length };
};

test('examples/control.ts --serve: SIGTERM, then Ctrl-C (SIGINT), to its whole process group keep every session; each next start resumes with 0 identifies', async (t) => {
  t.timeout(240_000);
  const gw = await createEmulator({ shards: 4, maxConcurrency: 2, identifyWindowMs: 300, heartbeatInterval: 1_000, guilds: 8 });
  t.teardown(() => gw.close());
  const dir = await mkdtemp(join(tmpdir(), 'control-signals-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'sessions.json');

  const first = serve(t, gw, file);
  t.regex(await first.line(/clusters ready/), /4 shards identified, 0 resumed/);
  t.is(identifies(gw), 4);
  process.kill(-first.child.pid!, 'SIGTERM'); // CONTROL and both clusters at once, as docker stop on a process group
  t.regex(await first.line(/sessions written/), /SIGTERM: 4 sessions written/);
  t.is(await first.exited, 0);
  t.deepEqual(await closes(gw), { by4000: 4, without: 0 }, 'every shard closed with 4000 by the client');
  const saved = JSON.parse(await readFile(file, 'utf8')) as Array<{ shardId: number }>;
  t.deepEqual(saved.map((s) => s.shardId).sort(), [0, 1, 2, 3]);
  t.regex(first.output().stderr, /control: SIGTERM: stopping/);

  const second = serve(t, gw, file);
  t.regex(await second.line(/clusters ready/), /0 shards identified, 4 resumed/);
  t.is(identifies(gw), 4, 'no identify on the next start');
  t.is(resumes(gw), 4);
  process.kill(-second.child.pid!, 'SIGINT'); // Ctrl-C in a terminal
  t.regex(await second.line(/sessions written/), /SIGINT: 4 sessions written/);
  t.is(await second.exited, 0);
  t.deepEqual(await closes(gw), { by4000: 8, without: 0 });
  t.deepEqual(gw.violations, []);
});
