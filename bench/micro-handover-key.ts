/**
 * What a reshard's handover pays per event for its key: `dispatchKey` (JSON.stringify of the
 * parsed `d`, the key before) against `handoverKey` (the raw `d` text, hashed when long), on a
 * ~730 B MESSAGE_CREATE and a ~6 KB GUILD_CREATE-like event, and the bytes each key holds.
 * `npx tsx bench/micro-handover-key.ts` (alternates the two, three rounds each; CPU time per key).
 */
import { dispatchKey, handoverKey } from '../src/reshard/handover.js';
import { FRAME_TEXT } from '../src/shard/frame-text.js';
import type { ShardDispatchEvent } from '../src/shard/types.js';

const user = { id: '80351110224678912', username: 'someone', avatar: 'a_1234567890abcdef1234567890abcdef', discriminator: '0', public_flags: 64, global_name: 'Some One' };
const message = {
  type: 0,
  tts: false,
  timestamp: '2026-12-06T18:00:00.000000+00:00',
  pinned: false,
  nonce: '1180000000000000000',
  mentions: [],
  mention_roles: [],
  mention_everyone: false,
  member: { roles: ['41771983423143936'], premium_since: null, pending: false, nick: null, mute: false, joined_at: '2020-01-01T00:00:00.000000+00:00', flags: 0, deaf: false, avatar: null },
  id: '1180000000000000001',
  flags: 0,
  embeds: [],
  edited_timestamp: null,
  content: 'marker-123456 a message of ordinary length, with a little text in it',
  components: [],
  channel_id: '41771983423143937',
  author: user,
  attachments: [],
  guild_id: '41771983423143936',
};
const guild = { id: '41771983423143936', name: 'a guild', members: Array.from({ length: 20 }, (_, i) => ({ user: { ...user, id: String(80351110224678912n + BigInt(i)) }, roles: [], joined_at: '2020-01-01T00:00:00.000000+00:00' })) };

const event = (t: string, d: unknown, s: number): ShardDispatchEvent => {
  const text = JSON.stringify({ t, s, op: 0, d });
  return { type: 'dispatch', shardId: 0, t, s, d: JSON.parse(text).d, [FRAME_TEXT]: text } as ShardDispatchEvent;
};

const N = 50_000;
const time = (events: readonly ShardDispatchEvent[], key: (e: ShardDispatchEvent) => string): number => {
  let sink = 0;
  // CPU time, not wall time: on a loaded machine the process waits for a core between slices
  const before = process.cpuUsage();
  for (const e of events) sink += key(e).length;
  const used = process.cpuUsage(before);
  if (sink < 0) console.log(sink);
  return ((used.user + used.system) * 1000) / events.length;
};

for (const [t, d] of [
  ['MESSAGE_CREATE', message],
  ['GUILD_CREATE', guild],
] as const) {
  // distinct events (a different s and id each), as the handover sees them
  const events = Array.from({ length: N }, (_, i) => event(t, { ...d, id: String(1180000000000000001n + BigInt(i)) }, i + 1));
  const size = (events[0]![FRAME_TEXT as never] as string).length;
  const rows: string[] = [];
  for (let round = 0; round < 3; round++) {
    rows.push(`stringify ${(time(events, dispatchKey) / 1000).toFixed(2)} µs`, `raw ${(time(events, handoverKey) / 1000).toFixed(2)} µs`);
  }
  console.log(`${t} (frame ${size} chars): ${rows.join(', ')}; key length: stringify ${dispatchKey(events[0]!).length}, raw ${handoverKey(events[0]!).length} chars`);
}
