/**
 * What it costs to tell an unwanted dispatch from its text, by key order, in one process:
 * Discord's order, op first, and `d` first (a key-sorting serializer), for a small
 * MESSAGE_CREATE and a ~100 KB GUILD_CREATE. For `d` first it sets the three ways to find `t`
 * side by side: `JSON.parse` of the whole, walking over `d` with a bracket- and string-aware
 * scanner and reading `t` after it, and `readDispatchHead` reading the last bytes backwards
 * (what the library does).
 *
 *   npx tsx bench/micro-keys.ts [iterations, default 2000 for the big message]
 */
import { readDispatchHead } from '../src/gateway/dispatch-head.js';
import { guildCreatePayload } from '../src/testing/world/payloads.js';
import { createTraffic } from '../src/testing/traffic/traffic.js';
import { createWorld } from '../src/testing/world/world.js';

const iterations = Number(process.argv[2] ?? 2000);
const world = createWorld(100, 1);
const guild = world.guilds[0]!;
const big = guildCreatePayload(world, guild, true);
const message = createTraffic(world, 'messages', 1, 16).forShard(0, 1)();
const small: unknown = JSON.parse(message.tail.slice(',"op":0,"d":'.length, -1));

const orders = {
  discord: (t: string, d: unknown) => `{"t":"${t}","s":12345,"op":0,"d":${JSON.stringify(d)}}`,
  'op-first': (t: string, d: unknown) => `{"op":0,"t":"${t}","s":12345,"d":${JSON.stringify(d)}}`,
  'd-first': (t: string, d: unknown) => `{"d":${JSON.stringify(d)},"op":0,"s":12345,"t":"${t}"}`,
} as const;

/** Walks over one JSON value from `i` (strings, nesting) and returns the index after it. */
const skipValue = (x: string, i: number): number => {
  let depth = 0;
  for (;;) {
    const c = x.charCodeAt(i);
    if (c === 0x22) {
      i++;
      for (;;) {
        const q = x.indexOf('"', i);
        let k = q - 1;
        while (x.charCodeAt(k) === 0x5c) k--;
        i = q + 1;
        if ((q - 1 - k) % 2 === 0) break; // an even run of backslashes: the quote ends the string
      }
      if (depth === 0) return i;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === 0x2c || c === 0x7d)) return i;
    i++;
  }
};

/** `d` first: walk over it, then read the members after it. */
const walkOverD = (x: string): string | undefined => {
  const end = skipValue(x, '{"d":'.length);
  const at = x.indexOf('"t":"', end);
  return at < 0 ? undefined : x.slice(at + 5, x.indexOf('"', at + 5));
};

let sink = 0;
const time = (label: string, n: number, fn: () => void) => {
  for (let i = 0; i < Math.min(n, 200); i++) fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const cpu = process.cpuUsage(t0);
  console.log(`${label.padEnd(64)} ${((cpu.user + cpu.system) / n).toFixed(3).padStart(9)} µs`);
};

for (const [name, d, n] of [['MESSAGE_CREATE', small, iterations * 100], ['GUILD_CREATE', big, iterations]] as const) {
  const sample = orders.discord(name, d);
  console.log(`\n${name}: ${(sample.length / 1024).toFixed(1)} KiB of JSON`);
  for (const [order, render] of Object.entries(orders)) {
    const text = render(name, d);
    const head = text.slice(0, 96);
    const tail = text.slice(-96);
    time(`${order}: readDispatchHead(first 96, last 96)`, n, () => (sink += readDispatchHead(head, tail)?.s ?? 0));
    time(`${order}: JSON.parse of the whole`, Math.max(50, n / 20), () => (sink += (JSON.parse(text) as { s: number }).s));
    if (order === 'd-first') time(`${order}: walk over d, then read t after it`, Math.max(50, n / 10), () => (sink += walkOverD(text)?.length ?? 0));
  }
}
if (sink === 42) console.log('');
