import test from 'ava';
import { StartupGuilds } from '../../src/reshard/startup-guilds.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';

const event = (shardId: number, t: string, d: unknown): ShardDispatchEvent => ({ type: 'dispatch', shardId, s: 1, t, d });
const ready = (shardId: number, ids: string[]) => event(shardId, 'READY', { guilds: ids.map((id) => ({ id, unavailable: true })) });

test('READY and one GUILD_CREATE (or unavailable GUILD_DELETE) per listed guild are start-up; the shard settles when all came', (t) => {
  const startup = new StartupGuilds(1000);
  t.false(startup.settled(0, 0), 'not before READY');
  t.true(startup.take(ready(0, ['1', '2', '3']), 0));
  t.false(startup.settled(0, 0));
  t.is(startup.waitingFor(0), 3);
  t.true(startup.take(event(0, 'GUILD_CREATE', { id: '1' }), 5));
  t.false(startup.take(event(0, 'GUILD_CREATE', { id: '1' }), 6), 'a second GUILD_CREATE of the same guild is news');
  t.false(startup.take(event(0, 'GUILD_DELETE', { id: '2' }), 7), 'a GUILD_DELETE without unavailable: the bot left');
  t.true(startup.take(event(0, 'GUILD_DELETE', { id: '2', unavailable: true }), 8));
  t.false(startup.take(event(0, 'GUILD_CREATE', { id: '9' }), 9), 'a guild READY did not list: the bot joined it');
  t.false(startup.take(event(0, 'MESSAGE_CREATE', { id: '3' }), 9));
  t.false(startup.settled(0, 9));
  t.true(startup.take(event(0, 'GUILD_CREATE', { id: '3' }), 10));
  t.true(startup.settled(0, 10));
  t.is(startup.readyAt(0), 0);
});

test('a shard counts as settled once the guilds timeout has passed since its READY; shards are tracked apart', (t) => {
  const startup = new StartupGuilds(1000);
  startup.take(ready(0, ['1']), 100);
  startup.take(ready(1, []), 100);
  t.true(startup.settled(1, 100), 'no guilds: settled at READY');
  t.false(startup.settled(0, 1099));
  t.true(startup.settled(0, 1100));
  t.false(startup.take(event(1, 'GUILD_CREATE', { id: '1' }), 1200), 'guild 1 was listed for shard 0, not 1');
  t.true(startup.take(event(0, 'GUILD_CREATE', { id: '1' }), 1200), 'a late start-up GUILD_CREATE is still swallowed');
});

test('a second READY (the shard identified again) starts its count over', (t) => {
  const startup = new StartupGuilds(1000);
  startup.take(ready(0, ['1']), 0);
  startup.take(event(0, 'GUILD_CREATE', { id: '1' }), 1);
  t.true(startup.settled(0, 1));
  startup.take(ready(0, ['1', '2']), 50);
  t.false(startup.settled(0, 50));
  t.true(startup.take(event(0, 'GUILD_CREATE', { id: '1' }), 51));
  t.true(startup.take(event(0, 'GUILD_CREATE', { id: '2' }), 52));
  t.true(startup.settled(0, 52));
});
