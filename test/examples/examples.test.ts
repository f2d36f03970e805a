import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
// Serial: each example is a whole program with its own tsx compile; four at once on two loaded cores outlast ava's timeout.
const example = (name: string) => run('npx', ['tsx', `examples/${name}.ts`], { env: { ...process.env, DISCORD_TOKEN: '' }, timeout: 90_000 });

test.serial('examples/bot.ts answers !ping through @discordjs/rest, sees its replies come back, and counts messages per guild on the emulator', async (t) => {
  const { stdout } = await example('bot');
  t.is(stdout.match(/replied in \d+ through REST/g)?.length, 4);
  const echoes = [...stdout.matchAll(/my reply came back on shard ([01]) in \d+: pong \(shard ([01])\)/g)];
  t.is(echoes.length, 4);
  t.true(echoes.every(([, seenOn, answeredOn]) => seenOn === answeredOn), 'a reply comes back on the shard of its guild');
  t.regex(stdout, /the emulator made 4 messages/);
  t.regex(stdout, /in 4 guilds/);
  const counts = [...stdout.matchAll(/guild \d+: (\d+) messages/g)].map((m) => Number(m[1])).sort();
  t.deepEqual(counts, [1, 2, 3, 4]);
});

test.serial('examples/discordjs-core.ts runs a @discordjs/core Client on the cluster: !ping answered through api, the echo seen, members requested', async (t) => {
  const { stdout } = await example('discordjs-core');
  t.regex(stdout, /shard 0 ready as Emulator Bot/);
  t.regex(stdout, /shard 1 ready as Emulator Bot/);
  const echoes = [...stdout.matchAll(/my reply came back on shard ([01]): pong \(shard ([01])\)/g)];
  t.is(echoes.length, 4);
  t.true(echoes.every(([, seenOn, answeredOn]) => seenOn === answeredOn));
  t.regex(stdout, /requested members of guild \d+: got 3/);
  t.regex(stdout, /done: 4 messages made through REST/);
});

test.serial('examples/testing.ts passes its own checks', async (t) => {
  const { stdout } = await example('testing');
  t.regex(stdout, /3 passed, 0 failed/);
});

test.serial('examples/control.ts restarts a dead cluster and rolls a restart with no identify', async (t) => {
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

test.serial('examples/fleet-reshard.ts grows three cluster processes 6 → 9 shards while messages flow, every message exactly once across the fleet', async (t) => {
  const { stdout } = await example('fleet-reshard');
  t.regex(stdout, /3 clusters ready in child processes/);
  t.regex(stdout, /plan 6 → 9: .*; \d+ % of guilds change cluster/);
  t.regex(stdout, /fleet: preparing[\s\S]*fleet: switching[\s\S]*fleet: retiring/);
  for (const id of ['a', 'b', 'c']) t.regex(stdout, new RegExp(`cluster ${id}: done \\(shards [\\d, ]+ of 9\\)`));
  const [, identifies, operations, fallbacks] = /resharded the fleet 6 → 9 in \d+ ms: (\d+) identifies, (\d+) ledger operations \([\d.]+ per message sent\), (\d+) copies past the ledger/.exec(stdout) ?? [];
  t.is(identifies, '9', 'one identify per new shard');
  t.true(Number(operations) > 0, 'the crossing guilds went through the ledger');
  t.is(fallbacks, '0');
  const [, sent, once, repeated, lost] = /messages: (\d+) sent, (\d+) received exactly once, (\d+) repeated, (\d+) lost/.exec(stdout) ?? [];
  t.true(Number(sent) > 0);
  t.is(once, sent);
  t.is(repeated, '0');
  t.is(lost, '0');
  t.regex(stdout, /emulator rule violations: 0/);
});

test.serial('examples/worker.ts: two workers in one group answer every !ping through REST; the one killed mid-stream leaves its pings to the other', async (t) => {
  if (spawnSync('redis-server', ['--version']).status !== 0) return t.pass('skipped: no redis-server on PATH');
  const { stdout } = await run('npx', ['tsx', 'examples/worker.ts'], { env: { ...process.env, DISCORD_TOKEN: '', REDIS_URL: '' }, timeout: 90_000 });
  const [, sent, answered, , lost] = /pings: (\d+) sent, (\d+) answered, (\d+) answered twice, (\d+) lost/.exec(stdout) ?? [];
  t.true(Number(sent) > 0, stdout);
  t.is(answered, sent);
  t.is(lost, '0');
  const held = /worker a killed mid-stream holding (\d+) pings/.exec(stdout)?.[1];
  const finished = /answered (\d+) pings worker a had taken/.exec(stdout)?.[1];
  if (held !== undefined) t.true(Number(finished) >= Number(held), `b finished ${finished} of the ${held} a held`);
  t.regex(stdout, /published \d+, dropped 0/);
});
