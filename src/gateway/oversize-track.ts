import { SKIP_HEAD_BYTES } from './inflate.js';

/**
 * The ends of a message over the cap while its output is being discarded: its head (kept when it
 * passed the cap) and its last `SKIP_HEAD_BYTES` bytes so far, as Latin-1. Holds no more than
 * those few bytes, however long the message.
 */
export class OversizeTrack {
  /** The last bytes of the output seen so far. */
  tail = '';

  constructor(readonly head: string) {}

  /** `length` more bytes of output passed (in `buffer` from 0) and were discarded: keep the last few. */
  passed(buffer: Buffer, length: number): void {
    if (length <= 0) return;
    const latest = buffer.toString('latin1', Math.max(0, length - SKIP_HEAD_BYTES), length);
    this.tail = latest.length >= SKIP_HEAD_BYTES ? latest : (this.tail + latest).slice(-SKIP_HEAD_BYTES);
  }
}
