import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('DEMO_FLEET=1 npm start reshards three cluster processes 6 → 9 while traffic flows and its summary shows the fleet figures, every marker once', async (t) => {
  t.timeout(150_000);
  const { stdout } = await run('npm', ['start', '--silent'], { env: { ...process.env, DEMO_SECONDS: '10', DISCORD_TOKEN: '', DEMO_FLEET: '1' }, timeout: 140_000 });
  t.false(/\u001b\[/.test(stdout), 'no escape codes when piped');
  for (const id of ['a', 'b', 'c']) t.regex(stdout, new RegExp(`cluster ${id}: 2 shard\\(s\\) ready`));
  t.regex(stdout, /fleet reshard 6 → 9 while traffic flows; plan a: [\d,]+ · b: [\d,]+ · c: [\d,]+ \(50 % of guilds change cluster\)/);
  t.regex(stdout, /fleet: preparing[\s\S]*fleet: switching[\s\S]*fleet: retiring/);
  for (const id of ['a', 'b', 'c']) t.regex(stdout, new RegExp(`cluster ${id}: reshard prepared[\\s\\S]*cluster ${id}: reshard handing-over[\\s\\S]*cluster ${id}: reshard done: shards [\\d,]+ of 6 → [\\d,]+ of 9`));
  t.regex(stdout, /Summary/);
  // every new shard ran, in the cluster the plan gave it; every old one retired
  const plan = /plan a: ([\d,]+) · b: ([\d,]+) · c: ([\d,]+)/.exec(stdout)!;
  const ofCluster = new Map<number, string>();
  ['a', 'b', 'c'].forEach((id, i) => plan[i + 1]!.split(',').forEach((shard) => ofCluster.set(Number(shard), id)));
  t.is(ofCluster.size, 9);
  for (const [shard, id] of ofCluster) t.regex(stdout, new RegExp(`${id} · shard ${shard} of 9\\s+(ready|resumed)\\s+\\d+ ev`));
  for (const [id, shards] of [['a', [0, 1]], ['b', [2, 3]], ['c', [4, 5]]] as const) {
    for (const shard of shards) t.regex(stdout, new RegExp(`${id} · shard ${shard} of the old 6 \\(retired\\)\\s+closed\\s+\\d+ ev`));
  }
  const figures = /fleet reshard 6 → 9 over 3 cluster processes while traffic flowed: (\d+) ms, (\d+) identifies, guilds moved to another cluster: 50 % \(movedGuildFraction 0\.500\)/.exec(stdout);
  t.truthy(figures, 'the reshard line');
  t.true(Number(figures![1]) > 0);
  t.is(figures![2], '9', 'one identify per new shard');
  const ledger = /handover ledger \(CONTROL's\): (\d+) operations \([\d.]+ per event sent; .*\), (\d+) copies suppressed, (\d+) fallbacks/.exec(stdout);
  t.truthy(ledger, 'the ledger line');
  t.true(Number(ledger![1]) > 0, 'crossing guilds went through the ledger');
  t.is(ledger![3], '0', 'no copy went out without the ledger');
  const markers = /markers: (\d+) sent across the fleet, (\d+) exactly once, repeated (\d+), lost (\d+)/.exec(stdout);
  t.truthy(markers, 'the markers line');
  t.true(Number(markers![1]) > 0);
  t.is(markers![2], markers![1]);
  t.is(markers![3], '0');
  t.is(markers![4], '0');
  t.regex(stdout, /emulator rule violations: none/);
  t.false(stdout.includes('demo-token'));
});

test('DEMO_FLEET=1 with DISCORD_TOKEN set refuses in one line and exits 1 (the fleet demo reshards: emulator only)', async (t) => {
  const error = await t.throwsAsync(run('npm', ['start', '--silent'], { env: { ...process.env, DISCORD_TOKEN: 'a-real-looking-token', DEMO_FLEET: '1', DISCORD_API_BASE: 'http://127.0.0.1:9' }, timeout: 60_000 }));
  const { code, stderr, stdout } = error as unknown as { code: number; stderr: string; stdout: string };
  t.is(code, 1);
  t.regex(stderr, /npm start: DEMO_FLEET runs on the embedded emulator only .*unset DISCORD_TOKEN/);
  t.false(`${stdout}${stderr}`.includes('a-real-looking-token'));
});
