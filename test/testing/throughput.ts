/**
 * How fast the emulator streams: events/s to a plain `ws` client in another process that
 * discards everything (it does not even inflate), for text, zlib-stream (one deflate context per
 * connection) and precompressed zlib-stream, and for each built-in mix.
 *
 *   npx tsx test/testing/throughput.ts [seconds per case, default 3]
 *
 * Not a test (ava only runs *.test.ts): a measurement whose figures go in src/testing/README.md.
 */
import { spawn } from 'node:child_process';
import { createEmulator } from '../../src/testing/index.js';

const seconds = Number(process.argv[2] ?? 3);

/** The client: identify, then count and discard; print the counts when the emulator closes. */
const CLIENT = `
import WebSocket from 'ws';
const [url, query] = process.argv.slice(1);
const ws = new WebSocket(url + '?' + query);
let messages = 0, bytes = 0;
ws.on('message', (data) => { messages++; bytes += data.length; });
ws.on('open', () => ws.send(JSON.stringify({ op: 2, d: { token: 'emulator-token', intents: 513, shard: [0, 1],
  properties: { os: 'linux', browser: 'bench', device: 'bench' } } })));
ws.on('close', () => { console.log(JSON.stringify({ messages, bytes })); process.exit(0); });
`;

type Mode = 'text' | 'zlib-stream' | 'zlib-stream precompressed';

const run = async (mode: Mode, mix: 'messages' | 'realistic') => {
  const compress = mode !== 'text';
  const gw = await createEmulator({ guilds: 100, zlibMode: mode === 'zlib-stream precompressed' ? 'precompressed' : 'context' });
  const query = `v=10&encoding=json${compress ? '&compress=zlib-stream' : ''}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, gw.url, query], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await gw.waitFor((r) => r.kind === 'session' && r.event === 'created', 10_000);
  const handle = gw.stream(0, { mix });
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  handle.stop();
  const { sent } = await handle.done;
  const elapsed = (performance.now() - started) / 1000;
  await gw.close();
  await exited;
  const client = JSON.parse(out.trim() || '{"messages":0,"bytes":0}') as { messages: number; bytes: number };
  return {
    case: `${mode} / ${mix}`,
    'events/s': Math.round(sent / elapsed),
    'client MB/s': Number((client.bytes / elapsed / 1e6).toFixed(1)),
    'client received': client.messages,
  };
};

const results = [];
const modes: Mode[] = ['text', 'zlib-stream', 'zlib-stream precompressed'];
for (const mode of modes) for (const mix of ['messages', 'realistic'] as const) results.push(await run(mode, mix));
console.table(results);
