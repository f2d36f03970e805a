import test from 'ava';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { pauseReading, resumeReading } from '../../src/shard/socket-hold.js';
import { selfSignedCertificate } from '../../src/testing/wire/tls.js';

/** Frames the server sends after the client paused: far more than one socket read (64 KiB). */
const FRAMES = 64;
const FRAME_BYTES = 16 * 1024;

/** A few turns of the event loop, each with a pass of I/O: enough for a socket with data waiting to be read. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A client that pauses itself (with `pause`) at the first frame; the server then sends FRAMES
 * frames, and the client's socket is watched while the data waits in the kernel. Returns what the
 * socket read during the pause, and the frames received once resumed.
 */
const pausedClient = async (pause: (ws: WebSocket) => void, resume: (ws: WebSocket) => void, tls = false) => {
  const certificate = tls ? await selfSignedCertificate('127.0.0.1') : undefined;
  const https = certificate ? createServer({ key: certificate.key, cert: certificate.cert }) : undefined;
  if (https) await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const server = https ? new WebSocketServer({ server: https }) : new WebSocketServer({ host: '127.0.0.1', port: 0 });
  if (!https) await new Promise((resolve) => server.once('listening', resolve));
  const serverSide = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const port = ((https ?? server).address() as AddressInfo).port;
  const client = new WebSocket(`${tls ? 'wss' : 'ws'}://127.0.0.1:${port}`, certificate ? { ca: certificate.cert } : {});
  try {
    const peer = await serverSide;
    await new Promise((resolve) => client.once('open', resolve));
    const received: number[] = [];
    const first = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer) => {
        received.push(data.readUInt32BE(0));
        if (received.length === 1) {
          pause(client);
          resolve();
        }
      }),
    );
    peer.send(frame(0));
    await first;
    const socket = (client as unknown as { _socket: Socket })._socket;
    const readBefore = socket.bytesRead;
    // every frame handed to the kernel: on loopback it is in the client's receive buffer (or the server's send buffer once that is full)
    for (let n = 1; n <= FRAMES; n++) peer.send(frame(n));
    await turns(10);
    const readDuringPause = socket.bytesRead - readBefore;
    const bufferedDuringPause = socket.readableLength;
    const all = new Promise<void>((resolve) => client.on('message', () => received.length === FRAMES + 1 && resolve()));
    resume(client);
    await all;
    return { readDuringPause, bufferedDuringPause, received };
  } finally {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
    if (https) await new Promise((resolve) => https.close(resolve));
  }
};

const frame = (n: number) => {
  const data = Buffer.alloc(FRAME_BYTES, n % 251);
  data.writeUInt32BE(n, 0);
  return data;
};

test('pauseReading stops the socket at once: nothing is read ahead while paused, and every frame comes in order once resumed', async (t) => {
  const { readDuringPause, bufferedDuringPause, received } = await pausedClient(pauseReading, resumeReading);
  t.is(readDuringPause, 0, 'the kernel holds what the server sent');
  t.is(bufferedDuringPause, 0);
  t.deepEqual(received, Array.from({ length: FRAMES + 1 }, (_, n) => n));
});

test('a plain pause reads a chunk ahead into the stream (what pauseReading avoids)', async (t) => {
  const { readDuringPause, bufferedDuringPause, received } = await pausedClient(
    (ws) => ws.pause(),
    (ws) => ws.resume(),
  );
  t.true(readDuringPause > 0, 'the paused stream read ahead');
  t.true(bufferedDuringPause > 0);
  t.deepEqual(received, Array.from({ length: FRAMES + 1 }, (_, n) => n));
});

test('over TLS (wss://, as Discord serves it): paused and resumed, every frame comes in order; what the TLS layer had read may come ahead', async (t) => {
  const { readDuringPause, received } = await pausedClient(pauseReading, resumeReading, true);
  t.log(`bytes read during the pause: ${readDuringPause}`);
  t.deepEqual(received, Array.from({ length: FRAMES + 1 }, (_, n) => n));
});

test('pauseReading on a socket that is not open, or without the stream internals, is the plain pause and does not throw', (t) => {
  const calls: string[] = [];
  const notOpen = { pause: () => calls.push('pause'), resume: () => calls.push('resume'), isPaused: false } as unknown as WebSocket;
  pauseReading(notOpen);
  resumeReading(notOpen);
  const bare = { pause: () => calls.push('pause'), resume: () => calls.push('resume'), isPaused: true, _socket: {} } as unknown as WebSocket;
  pauseReading(bare);
  resumeReading(bare);
  t.deepEqual(calls, ['pause', 'resume', 'pause', 'resume']);
});
