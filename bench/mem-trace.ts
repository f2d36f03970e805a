/**
 * `BENCH_MEM_TRACE=<dir>`: what makes a client's peak RSS. Over each measurement window the client
 * process samples `process.memoryUsage()` every 10 ms and, at the window's end, appends one line
 * to `<dir>/mem.jsonl`: the memory at the window's start, the sample where RSS peaked (with V8's
 * heap spaces at that moment: a grown young generation shows as `new_space`), each field's own
 * peak, and `maxRSS`, all in MiB. Off (no timer) without the variable.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';

const DIR = process.env.BENCH_MEM_TRACE;
const SAMPLE_MS = 10;

type Fields = Record<string, number>;
let timer: NodeJS.Timeout | undefined;
let start: Fields = {};
let atPeak: Fields = {};
let spacesAtPeak: Fields = {};
let peaks: Fields = {};

const mib = (fields: Fields): Fields => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, +(v / 2 ** 20).toFixed(1)]));
const usage = (): Fields => ({ ...process.memoryUsage() });

const sample = (): void => {
  const m = usage();
  if (m.rss! > (atPeak.rss ?? 0)) {
    atPeak = m;
    spacesAtPeak = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  }
  for (const [k, v] of Object.entries(m)) peaks[k] = Math.max(peaks[k] ?? 0, v);
};

/** A window opens: sampling starts (with `BENCH_MEM_TRACE` only). */
export const startMemTrace = (): void => {
  if (DIR === undefined) return;
  clearInterval(timer);
  start = usage();
  atPeak = {};
  spacesAtPeak = {};
  peaks = {};
  timer = setInterval(sample, SAMPLE_MS);
  timer.unref();
};

/** The window ended: one line for `contender` in `<dir>/mem.jsonl`. */
export const endMemTrace = (contender: string): void => {
  if (DIR === undefined || timer === undefined) return;
  clearInterval(timer);
  timer = undefined;
  const line = { contender, start: mib(start), atPeak: mib(atPeak), spacesAtPeak: mib(spacesAtPeak), peaks: mib(peaks), maxRSS: +(process.resourceUsage().maxRSS / 1024).toFixed(1) };
  appendFileSync(join(DIR, 'mem.jsonl'), `${JSON.stringify(line)}\n`);
};
