/**
 * The benchmark's zstd-stream cases need `node:zlib` zstd (Node >= 22.15) in the emulator and
 * in the clients. On such a Node they run in place; on an older one (the default bench runs on
 * Node 20) they run under the binary named by `BENCH_ZSTD_NODE`, with their own emulator process,
 * or are left out with a line saying so. zlib-stream runs beside them under the same binary, both
 * compressed with one context per connection as Discord does (not the precompressed templates
 * of the other cases), over 8192 distinct events per shard, so their CPU and bytes compare.
 */
import { execFileSync } from 'node:child_process';
import type { ContenderName } from './contenders.js';

type Log = (line: string) => void;

/** A Node binary with zstd, and its version. */
export interface ZstdNode {
  readonly execPath: string;
  readonly version: string;
  /** Whether it is the Node running the bench. */
  readonly here: boolean;
}

const atLeast = (version: string, major: number, minor: number): boolean => {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};

/** The Node the zstd cases run under, or undefined (they are left out). */
export const zstdNode = (log: Log): ZstdNode | undefined => {
  if (atLeast(process.versions.node, 22, 15)) return { execPath: process.execPath, version: process.versions.node, here: true };
  const other = process.env['BENCH_ZSTD_NODE'];
  if (other === undefined || other === '') {
    log(`zstd-stream cases left out: Node ${process.versions.node} has no node:zlib zstd; set BENCH_ZSTD_NODE=/path/to/node (22.15 or later) to run them`);
    return undefined;
  }
  const version = execFileSync(other, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  if (!atLeast(version, 22, 15)) throw new Error(`BENCH_ZSTD_NODE is Node ${version}: zstd needs 22.15 or later`);
  return { execPath: other, version, here: false };
};

/** Distinct events per shard in the compression cases: more than a run sends, so no event repeats (zstd's window would find it). */
const DISTINCT = 8192;

/** The zlib-stream and zstd-stream cases, under `node` (none when it is undefined). */
export const compressionCases = (node: ZstdNode | undefined, count: number) => {
  if (node === undefined) return [];
  const on = node.here ? '' : `, Node ${node.version}`;
  const common = { count, poolSize: DISTINCT, ...(node.here ? {} : { node: { execPath: node.execPath, version: node.version } }) };
  return [
    { label: `zlib-stream, one context per connection, realistic${on}`, contenders: ['ours', 'ws-node-sync'] as ContenderName[], compression: 'zlib-stream' as const, emulator: { zlibMode: 'context' as const }, ...common },
    { label: `zstd-stream, realistic${on}`, contenders: ['ours', 'ws-zstd-sync', 'ws-zstd-stream'] as ContenderName[], compression: 'zstd-stream' as const, ...common },
  ];
};
