import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const example = (name: string) => run('npx', ['tsx', `examples/${name}.ts`], { env: { ...process.env, DISCORD_TOKEN: '' }, timeout: 90_000 });

test('examples/bot.ts answers !ping and counts messages per guild on the emulator', async (t) => {
  const { stdout } = await example('bot');
  t.is(stdout.match(/: pong \(shard [01]\)/g)?.length, 4);
  t.regex(stdout, /in 4 guilds/);
  const counts = [...stdout.matchAll(/guild \d+: (\d+) messages/g)].map((m) => Number(m[1])).sort();
  t.deepEqual(counts, [1, 2, 3, 4]);
});

test('examples/testing.ts passes its own checks', async (t) => {
  const { stdout } = await example('testing');
  t.regex(stdout, /3 passed, 0 failed/);
});

test('examples/control.ts restarts a dead cluster and rolls a restart with no identify', async (t) => {
  const { stdout } = await example('control');
  t.regex(stdout, /both clusters ready: 4 identifies/);
  t.regex(stdout, /cluster a died .* restarting it/);
  t.regex(stdout, /rolling restart: 0 identifies, 4 resumes/);
  t.regex(stdout, /identify bucket violations: 0/);
});

test('examples/reshard.ts reshards 2 → 4 shards when /gateway/bot recommends it, every message exactly once', async (t) => {
  const { stdout } = await example('reshard');
  t.regex(stdout, /recommends 2 shards, 2 run: nothing to do/);
  t.regex(stdout, /recommends 4 shards, 2 run: resharding/);
  t.regex(stdout, /reshard preparing[\s\S]*reshard handing-over[\s\S]*reshard done/);
  t.regex(stdout, /resharded to 4 shards in \d+ ms: 4 identifies/);
  const [, sent, once, repeated, lost] = /messages: (\d+) sent, (\d+) received exactly once, (\d+) repeated, (\d+) lost/.exec(stdout) ?? [];
  t.true(Number(sent) > 0);
  t.is(once, sent);
  t.is(repeated, '0');
  t.is(lost, '0');
  t.regex(stdout, /identifies in all: 6; emulator rule violations: 0/);
});
