import type { CloseRecord, Emulator } from '../../src/testing/index.js';

/**
 * The close of every connection `gw` opened, each awaited: the emulator records a close when its own
 * end of the socket closes, which it may hear after the cluster heard of its end, or exited.
 */
export const everyClose = (gw: Emulator, timeoutMs = 10_000): Promise<CloseRecord[]> => {
  const opened = gw.records.flatMap((r) => (r.kind === 'open' ? [r.connectionId] : []));
  return Promise.all(opened.map((id) => gw.waitFor((r): r is CloseRecord => r.kind === 'close' && r.connectionId === id, timeoutMs)));
};
