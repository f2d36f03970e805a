import test from 'ava';
import { eventShard } from '../../src/reshard/event-owner.js';
import { guildShard } from '../../src/gateway/guild-shard.js';
import { Handover } from '../../src/reshard/handover.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';

const guild = '81384788765712384';

test('the owning shard of an event: its guild_id, a guild event\'s own id, shard 0 without a guild, unknown otherwise', (t) => {
  t.is(eventShard({ t: 'MESSAGE_CREATE', d: { guild_id: guild } }, 6), guildShard(guild, 6));
  t.is(eventShard({ t: 'GUILD_CREATE', d: { id: guild } }, 6), guildShard(guild, 6));
  t.is(eventShard({ t: 'GUILD_DELETE', d: { id: guild, unavailable: true } }, 7), guildShard(guild, 7));
  t.is(eventShard({ t: 'MESSAGE_CREATE', d: { channel_id: '1' } }, 6), 0, 'a DM goes to shard 0');
  t.is(eventShard({ t: 'MESSAGE_CREATE', d: { guild_id: 42 } }, 6), undefined);
  t.is(eventShard({ t: 'MESSAGE_CREATE', d: { guild_id: 'not-a-snowflake' } }, 6), undefined);
  t.is(eventShard({ t: 'RESUMED', d: null }, 6), undefined);
});

test('an old event no new shard can receive is emitted during the overlap without being remembered', (t) => {
  const emitted: ShardDispatchEvent[] = [];
  const handover = new Handover((e) => emitted.push(e), 1000);
  const event: ShardDispatchEvent = { type: 'dispatch', shardId: 0, s: 1, t: 'MESSAGE_CREATE', d: { n: 1 } };
  handover.fromOld(event, 0, false);
  t.is(handover.held, 0);
  handover.fromOld(event, 1, true);
  t.is(handover.held, 1);
  t.is(emitted.length, 2);
});
