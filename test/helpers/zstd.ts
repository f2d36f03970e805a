/**
 * zstd in tests: `node:zlib` has it from Node 22.15. `zstdTest` registers a test that runs
 * there and is skipped, with the reason in its title, on older runtimes; `zstdCompressor`
 * compresses like Discord through node:zlib's public streaming API (one context, a flush after
 * each message), independently of the emulator's encoder.
 */
import test, { type ExecutionContext } from 'ava';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';

type ZstdZlib = { createZstdCompress?: () => Transform & { flush(kind: number, cb: () => void): void }; constants: { ZSTD_e_flush?: number } };
const z = zlib as unknown as ZstdZlib;

/** Whether this runtime's node:zlib has zstd. */
export const zstdHere = typeof z.createZstdCompress === 'function';

/** The reason a zstd test does not run here, for skipped tests' titles. */
export const NO_ZSTD = `skipped: node:zlib has no zstd before Node 22.15, this is Node ${process.versions.node}`;

/** `test`, or on a runtime without zstd, `test.skip` with the reason appended to the title. */
export const zstdTest = (title: string, implementation: (t: ExecutionContext) => void | Promise<void>): void => {
  if (zstdHere) test(title, implementation);
  else test.skip(`${title} [${NO_ZSTD}]`, implementation);
};

/** A zstd-stream compressor like Discord's: one context for the stream, `ZSTD_e_flush` after each message. */
export const zstdCompressor = () => {
  const stream = z.createZstdCompress!();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return (text: string): Promise<Buffer> =>
    new Promise((resolve) => {
      stream.write(text);
      stream.flush(z.constants.ZSTD_e_flush!, () => resolve(Buffer.concat(chunks.splice(0))));
    });
};
