/**
 * A deliberately plain gateway client for the emulator's tests: a `ws` socket, node:zlib for
 * zlib-stream (and zstd-stream where node:zlib has zstd), every received frame kept, and
 * promises to await frames and the close.
 */
import * as zlib from 'node:zlib';
import type { ExecutionContext } from 'ava';
import WebSocket from 'ws';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/testing/index.js';

/** A decoded frame the client received. */
export interface Frame {
  readonly op: number;
  readonly d: any;
  readonly s: number | null;
  readonly t: string | null;
  /** The JSON text. */
  readonly text: string;
}

/** How a connection ended. */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A test client. */
export interface Client {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  /** Raw binary messages as received (compressed connections). */
  readonly chunks: Buffer[];
  /** Errors while decoding (bad JSON, inflate failure). */
  readonly decodeErrors: Error[];
  /** The first frame (past or future) matching; rejects after `timeoutMs`. */
  frame(predicate: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** The first decode error (past or future). */
  decodeError(timeoutMs?: number): Promise<Error>;
  /** Sends a payload as JSON text. */
  send(payload: unknown): void;
  readonly closed: Promise<Closed>;
  /** Closes (default 4000, which keeps the session) and waits for the close. */
  close(code?: number): Promise<Closed>;
}

/** Identify `d` with sensible defaults. */
export const identify = (token: string, extra: Record<string, unknown> = {}) => ({
  op: 2,
  d: { token, intents: 513, properties: { os: 'linux', browser: 'test', device: 'test' }, ...extra },
});

const SUFFIX = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** node:zlib's zstd (Node >= 22.15), typed for Node 20's declarations. */
const zstdZlib = zlib as unknown as { createZstdDecompress?: () => zlib.Inflate; constants: { ZSTD_e_flush?: number } };

/** Connects to `url` (query parameters appended) and resolves once the socket is open. */
export const connect = async (url: string, query: Record<string, string> = { v: '10', encoding: 'json' }): Promise<Client> => {
  const qs = new URLSearchParams(query).toString();
  const ws = new WebSocket(qs === '' ? url : `${url}?${qs}`, { headers: { 'user-agent': 'emulator-tests' } });
  const frames: Frame[] = [];
  const chunks: Buffer[] = [];
  const decodeErrors: Error[] = [];
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  const accept = (text: string) => {
    try {
      const p = JSON.parse(text);
      frames.push({ op: p.op, d: p.d, s: p.s ?? null, t: p.t ?? null, text });
    } catch (e) {
      decodeErrors.push(e as Error);
    }
    wake();
  };
  // zstd-stream: every binary frame is a whole message; zlib-stream: a message ends with 00 00 ff ff.
  const zstd = query['compress'] === 'zstd-stream' && typeof zstdZlib.createZstdDecompress === 'function';
  const inflate = zstd ? zstdZlib.createZstdDecompress!() : zlib.createInflate();
  const flushKind = zstd ? zstdZlib.constants.ZSTD_e_flush! : zlib.constants.Z_SYNC_FLUSH;
  let inflated: Buffer[] = [];
  inflate.on('data', (chunk: Buffer) => inflated.push(chunk));
  inflate.on('error', (e) => {
    decodeErrors.push(e);
    wake();
  });
  let pending: Buffer[] = [];
  let chain = Promise.resolve();
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return accept(data.toString());
    chunks.push(data);
    pending.push(data);
    if (!zstd && (data.length < 4 || !data.subarray(-4).equals(SUFFIX))) return;
    const message = Buffer.concat(pending);
    pending = [];
    chain = chain.then(
      () =>
        new Promise<void>((resolve) => {
          if (inflate.destroyed) return resolve();
          const onError = () => resolve(); // a corrupt stream never calls back
          inflate.once('error', onError);
          inflate.write(message);
          inflate.flush(flushKind, () => {
            inflate.off('error', onError);
            if (inflated.length > 0) accept(Buffer.concat(inflated).toString());
            inflated = [];
            resolve();
          });
        }),
    );
  });
  ws.on('error', () => {});
  let ended: Closed | undefined;
  const closed = new Promise<Closed>((resolve) =>
    ws.on('close', (code, reason) => {
      // Let the inflations in flight finish first, so no frame is lost.
      void chain.then(() => {
        inflate.close();
        ended = { code, reason: reason.toString() };
        resolve(ended);
        wake();
      });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waitUntil = <T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> => {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ops ${frames.map((f) => f.t ?? f.op).join(',')}`));
      }, timeoutMs);
      const check = () => {
        const hit = find();
        if (hit === undefined && ended === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        if (hit !== undefined) resolve(hit);
        else reject(new Error(`the connection closed (${ended?.code} ${ended?.reason}) before ${what} came; got ops ${frames.map((f) => f.t ?? f.op).join(',')}`));
      };
      waiters.add(check);
    });
  };
  return {
    ws,
    frames,
    chunks,
    decodeErrors,
    frame: (predicate, timeoutMs = 3000) => waitUntil(() => frames.find(predicate), 'a frame', timeoutMs),
    decodeError: (timeoutMs = 3000) => waitUntil(() => decodeErrors[0], 'a decode error', timeoutMs),
    send: (payload) => ws.send(JSON.stringify(payload)),
    closed,
    close: (code = 4000) => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code);
      return closed;
    },
  };
};

/** Connects, identifies as `[shardId, numShards]`, and resolves with the client and READY. */
export const ready = async (url: string, token: string, shard?: [number, number], query?: Record<string, string>) => {
  const client = await connect(url, query);
  client.send(identify(token, shard === undefined ? {} : { shard }));
  const readyFrame = await client.frame((f) => f.t === 'READY');
  return { client, ready: readyFrame };
};

/** Starts an emulator that the test closes when it ends. */
export const emulator = async (t: ExecutionContext, options?: EmulatorOptions): Promise<Emulator> => {
  const gw = await createEmulator(options);
  t.teardown(() => gw.close());
  return gw;
};

/**
 * Waits a fixed time. Only for what cannot be awaited: a protocol window passing, or a negative
 * assertion ("nothing happened for this long"). Never to let things settle.
 */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The default token of the emulator. */
export const TOKEN = 'emulator-token';
