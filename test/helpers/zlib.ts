import zlib from 'node:zlib';

/** A zlib-stream compressor like Discord's: one context, a sync flush after each message. */
export const zlibCompressor = () => {
  const deflate = zlib.createDeflate();
  const chunks: Buffer[] = [];
  deflate.on('data', (c: Buffer) => chunks.push(c));
  return (text: string): Promise<Buffer> =>
    new Promise((resolve) => {
      deflate.write(text);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(chunks.splice(0))));
    });
};
