import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm start runs the demo to completion, piped, and its summary shows every shard and the fatal demo', async (t) => {
  const { stdout } = await run('npm', ['start', '--silent'], { env: { ...process.env, DEMO_SECONDS: '10', DISCORD_TOKEN: '' }, timeout: 90_000 });
  t.false(/\u001b\[/.test(stdout), 'no escape codes when piped');
  t.regex(stdout, /cluster main: 8 shard\(s\) ready/);
  t.regex(stdout, /FATAL reached CONTROL from cluster fatal-demo: shard 8, code 4014 \(intents\)/);
  t.regex(stdout, /every shard has received every event the emulator sent: no loss, no repeat/);
  t.regex(stdout, /Summary/);
  for (const shard of [0, 1, 2, 3, 4, 5, 6, 7]) t.regex(stdout, new RegExp(`shard ${shard}\\s+(ready|resumed)\\s+\\d+ ev`));
  t.regex(stdout, /resumes: [3-9]/, 'the drop, the op 7 and the zombie were each resumed');
  t.regex(stdout, /emulator rule violations: none/);
  t.false(stdout.includes('demo-token'));
});
