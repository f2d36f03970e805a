import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { createEmulator } from '../../src/testing/index.js';

const TOKEN = 'demo-real-path-secret-Kp07';

/** Runs `npm start` with a token (the real-Discord path) and the given API base; resolves with its exit code and output. */
const start = (env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile('npm', ['start', '--silent'], { env: { ...process.env, DISCORD_TOKEN: TOKEN, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });

/** One line on stderr, no stack trace, no token; exit code 1. */
const assertOneClearLine = (t: ExecutionContext, run: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) => {
  t.is(run.code, 1);
  const lines = run.stderr.trim().split('\n');
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0]!, pattern);
  t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
  t.false(`${run.stdout}${run.stderr}`.includes(TOKEN), 'no token');
};

test('npm start with a token and the API unreachable prints one clear line and exits 1', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve)); // nothing listens there now
  const run = await start({ DISCORD_API_BASE: `http://127.0.0.1:${port}/api/v10` });
  assertOneClearLine(t, run, /^npm start: GET http:\/\/127\.0\.0\.1:\d+\/api\/v10\/gateway\/bot failed: the connection was refused \(ECONNREFUSED\)\. Check the network/);
});

test('npm start with a token the API refuses prints one clear line and exits 1', async (t) => {
  const gw = await createEmulator({ token: 'the-right-token' });
  t.teardown(() => gw.close());
  const run = await start({ DISCORD_API_BASE: gw.httpUrl });
  assertOneClearLine(t, run, /^npm start: GET .*\/gateway\/bot answered 401: the token was refused\. Check DISCORD_TOKEN/);
});

test('npm start refuses a malformed SHARDS with one clear line', async (t) => {
  const run = await start({ SHARDS: 'twelve' });
  assertOneClearLine(t, run, /^npm start: SHARDS must be a whole number from 1 to 100000$/);
});
