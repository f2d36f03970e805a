import test from 'ava';
import { spawn } from 'node:child_process';

test('Ctrl-C (SIGINT to the demo and its cluster processes at once) ends the demo early with its summary, every session kept', async (t) => {
  t.timeout(150_000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/demo.ts'], {
    detached: true, // a process group of its own, as a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEMO_SECONDS: '120', DISCORD_TOKEN: '' },
  });
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
  });
  child.stderr.resume();
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/cluster main: 8 shard\(s\) ready/.test(stdout)) resolve();
    });
    void exited.then(() => reject(new Error(`the demo exited first: ${stdout}`)));
  });
  process.kill(-child.pid!, 'SIGINT');
  t.is(await exited, 0);
  t.regex(stdout, /Ctrl-C: shutting down/);
  t.regex(stdout, /Summary/);
  t.regex(stdout, /sessions kept for a restart: 8/);
});
