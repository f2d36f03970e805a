import test from 'ava';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { shard } from '../../src/shard/shard.js';
import type { ShardEvent } from '../../src/shard/types.js';
import { shardOptions, startShard } from './setup.js';

const TOKEN = 'slow-frame-test-token';
/** A short heartbeat: the one large frame takes many intervals to come in. */
const INTERVAL = 50;
/** The large frame arrives in this many pieces, one per `PIECE_MS`: ~16 intervals in all. */
const PIECES = 40;
const PIECE_MS = 20;

/** A server-to-client text frame (unmasked, 64-bit length), written by hand so its bytes can be trickled. */
const textFrame = (text: string): Buffer => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(10);
  header[0] = 0x81; // FIN, text
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(payload.length), 2);
  return Buffer.concat([header, payload]);
};

/** ~1 MB of GUILD_CREATE, as a big guild's is. */
const bigGuild = JSON.stringify({
  t: 'GUILD_CREATE',
  s: 2,
  op: 0,
  d: { id: '1', members: Array.from({ length: 14_000 }, (_, i) => ({ user: { id: String(1e17 + i), username: `member-${i}` }, roles: [] })) },
});

const isStatus = (status: string) => (e: ShardEvent) => e.type === 'status' && e.status === status;

test('a large frame trickling in over many heartbeat intervals is a connection delivering, not a zombie; silence after it is caught at the first ticks', async (t) => {
  t.true(bigGuild.length > 900_000);
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  /** Heartbeats the server got, with whether the big frame was still coming in. */
  const beats: { during: boolean; afterSilence: boolean }[] = [];
  let trickling = false;
  let silent = false;
  let trickle: NodeJS.Timeout | undefined;
  server.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: INTERVAL } }));
    let unanswered = 0;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { op: number };
      if (frame.op === 1) {
        beats.push({ during: trickling, afterSilence: silent });
        if (trickling) unanswered++; // its ACK waits behind the big frame, as Discord's would
        else if (!silent) socket.send(JSON.stringify({ op: 11 }));
      }
      if (frame.op !== 2) return;
      socket.send(JSON.stringify({ op: 0, t: 'READY', s: 1, d: { session_id: 's', resume_gateway_url: 'ws://127.0.0.1:1', v: 10 } }));
      // the big frame, a piece at a time: TCP on a slow link, or a gateway under load
      const bytes = textFrame(bigGuild);
      const raw = request.socket as Socket;
      const size = Math.ceil(bytes.length / PIECES);
      let at = 0;
      trickling = true;
      trickle = setInterval(() => {
        raw.write(bytes.subarray(at, at + size));
        at += size;
        if (at < bytes.length) return;
        clearInterval(trickle);
        trickling = false;
        for (; unanswered > 0; unanswered--) socket.send(JSON.stringify({ op: 11 }));
        socket.send(JSON.stringify({ op: 0, t: 'SLOW_END', s: 3, d: {} }));
      }, PIECE_MS);
    });
  });
  t.teardown(async () => {
    clearInterval(trickle);
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  const run = startShard(t, shard({ ...shardOptions(TOKEN, `ws://127.0.0.1:${port}`), compression: 'none', timing: { helloTimeoutMs: 5000, readyTimeoutMs: 5000, backoff: { initialMs: 10_000, maxMs: 10_000 } } }));

  await run.when((e) => e.type === 'dispatch' && e.t === 'SLOW_END', 60_000).catch((error: unknown) => {
    t.log(run.events.filter((e) => e.type !== 'dispatch').map((e) => JSON.stringify(e)));
    throw error;
  });
  const guild = run.events.find((e) => e.type === 'dispatch' && e.t === 'GUILD_CREATE');
  t.truthy(guild, 'the big frame arrived whole');
  t.false(run.events.some(isStatus('reconnecting')), 'no zombie verdict while the frame came in');
  t.true(beats.filter((b) => b.during).length >= 3, `heartbeats went out while the frame came in (${beats.filter((b) => b.during).length})`);

  // Now silence: no ACK, no frame. A zombie within the first ticks after the last answered beat.
  silent = true;
  await run.when(isStatus('reconnecting'), 10_000);
  t.like(run.events.find(isStatus('reconnecting')), { reason: 'zombie' });
  t.true(beats.filter((b) => b.afterSilence).length <= 2, `caught after ${beats.filter((b) => b.afterSilence).length} unanswered beats`);
});
