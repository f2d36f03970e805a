import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm start runs the demo to completion, piped, and its summary shows every shard, the fatal demo and the live reshard 8 → 12', async (t) => {
  t.timeout(150_000);
  const { stdout } = await run('npm', ['start', '--silent'], { env: { ...process.env, DEMO_SECONDS: '10', DISCORD_TOKEN: '' }, timeout: 140_000 });
  t.false(/\u001b\[/.test(stdout), 'no escape codes when piped');
  t.regex(stdout, /cluster main: 8 shard\(s\) ready/);
  t.regex(stdout, /FATAL reached CONTROL from cluster fatal-demo: shard 8, code 4014 \(intents\)/);
  t.regex(stdout, /every shard has received every event the emulator sent: no loss, no repeat/);
  t.regex(stdout, /Summary/);
  for (const shard of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) t.regex(stdout, new RegExp(`shard ${shard}\\s+(ready|resumed)\\s+\\d+ ev`));
  for (const shard of [0, 1, 2, 3, 4, 5, 6, 7]) t.regex(stdout, new RegExp(`shard ${shard} of the old 8 \\(retired\\)\\s+closed\\s+\\d+ ev`));
  t.notRegex(stdout, /of 9 \(retired\)/, 'the old layout had 8 shards (shard 8 of 9 is the fatal demo\'s cluster)');
  t.regex(stdout, /reshard preparing: 8 → 12 shards[\s\S]*reshard handing-over[\s\S]*reshard done: 8 → 12 shards/);
  t.regex(stdout, /reshard 8 → 12 shards while traffic flowed: 12 identifies spent, \d+ ms in all, handover [\d.]+ ms after the last new READY/);
  t.regex(stdout, /markers: [1-9]\d* sent, every one arrived exactly once \(0 twice, 0 lost\)/);
  t.regex(stdout, /sessions kept for a restart: 12/);
  t.regex(stdout, /resumes: [4-9]/, 'the drop, the op 7, the zombie and the shard dropped into the outage were each resumed');
  t.regex(stdout, /shard 7: gateway unreachable \(connection closed before Hello\); retrying with backoff, no identify spent/);
  t.regex(stdout, /reconnects after the gateway was unreachable: [1-9]/);
  t.regex(stdout, /emulator rule violations: none/);
  t.false(stdout.includes('demo-token'));
});
