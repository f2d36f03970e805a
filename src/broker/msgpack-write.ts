/**
 * A MessagePack writer for what `JSON.parse` makes (null, booleans, numbers, strings, arrays,
 * plain objects), the producer's hot path, into one reused scratch buffer: short ASCII strings
 * (keys, ids, most values) are copied byte by byte; other strings go through Node's native UTF-8
 * writer with the header their longest possible encoding needs (a short text may get `str 8` or
 * `str 16` where a smaller header would do: still valid MessagePack, read the same by every
 * decoder). Integers take the smallest int format up to 32 bits; other numbers are float 64.
 * `undefined` is written as nil; anything else a JSON text cannot hold throws a `TypeError`.
 */

/** Deeper values are refused (a JSON text from Discord is a few levels deep). */
const MAX_DEPTH = 256;

/** Writes MessagePack into a growing scratch buffer; `take()` copies out each finished value. */
export class MsgpackWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  /** Starts a new value (what was written and not taken is discarded). */
  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written since `reset()` (small copies come from Node's buffer pool). */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** Makes room for `bytes` more bytes. */
  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A map header for `count` entries; its keys and values follow. */
  mapHeader(count: number): void {
    this.room(5);
    if (count < 16) this.buf[this.pos++] = 0x80 | count;
    else if (count < 0x10000) {
      this.buf[this.pos] = 0xde;
      this.buf.writeUInt16BE(count, this.pos + 1);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdf;
      this.buf.writeUInt32BE(count, this.pos + 1);
      this.pos += 5;
    }
  }

  private arrayHeader(count: number): void {
    this.room(5);
    if (count < 16) this.buf[this.pos++] = 0x90 | count;
    else if (count < 0x10000) {
      this.buf[this.pos] = 0xdc;
      this.buf.writeUInt16BE(count, this.pos + 1);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdd;
      this.buf.writeUInt32BE(count, this.pos + 1);
      this.pos += 5;
    }
  }

  /** A string: ASCII up to 255 characters copied byte by byte (exact header); others through `stringWide`. */
  string(text: string): void {
    const length = text.length;
    if (length < 0x100) {
      this.room(2 + length);
      const buf = this.buf;
      const head = length < 32 ? 1 : 2;
      const start = this.pos + head;
      for (let i = 0; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) return this.stringWide(text);
        buf[start + i] = c;
      }
      if (head === 1) buf[this.pos] = 0xa0 | length;
      else {
        buf[this.pos] = 0xd9;
        buf[this.pos + 1] = length;
      }
      this.pos = start + length;
      return;
    }
    this.stringWide(text);
  }

  /** A string through Node's UTF-8 writer: header sized for its longest UTF-8 form (3 bytes per UTF-16 unit), patched with the real length. */
  private stringWide(text: string): void {
    const most = text.length * 3;
    const head = most < 32 ? 1 : most < 0x100 ? 2 : most < 0x10000 ? 3 : 5;
    this.room(head + most);
    const start = this.pos;
    const bytes = this.buf.write(text, start + head, 'utf8');
    if (head === 1) this.buf[start] = 0xa0 | bytes;
    else if (head === 2) {
      this.buf[start] = 0xd9;
      this.buf[start + 1] = bytes;
    } else if (head === 3) {
      this.buf[start] = 0xda;
      this.buf.writeUInt16BE(bytes, start + 1);
    } else {
      this.buf[start] = 0xdb;
      this.buf.writeUInt32BE(bytes, start + 1);
    }
    this.pos = start + head + bytes;
  }

  /** A number: the smallest int format for integers of up to 32 bits, else float 64. */
  number(n: number): void {
    this.room(9);
    const buf = this.buf;
    const at = this.pos;
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff && !Object.is(n, -0)) {
      if (n >= 0) {
        if (n < 0x80) {
          buf[at] = n;
          this.pos += 1;
        } else if (n < 0x100) {
          buf[at] = 0xcc;
          buf[at + 1] = n;
          this.pos += 2;
        } else if (n < 0x10000) {
          buf[at] = 0xcd;
          buf.writeUInt16BE(n, at + 1);
          this.pos += 3;
        } else {
          buf[at] = 0xce;
          buf.writeUInt32BE(n, at + 1);
          this.pos += 5;
        }
      } else if (n >= -32) {
        buf[at] = n & 0xff; // negative fixint
        this.pos += 1;
      } else if (n >= -0x80) {
        buf[at] = 0xd0;
        buf.writeInt8(n, at + 1);
        this.pos += 2;
      } else if (n >= -0x8000) {
        buf[at] = 0xd1;
        buf.writeInt16BE(n, at + 1);
        this.pos += 3;
      } else {
        buf[at] = 0xd2;
        buf.writeInt32BE(n, at + 1);
        this.pos += 5;
      }
      return;
    }
    buf[at] = 0xcb;
    buf.writeDoubleBE(n, at + 1);
    this.pos += 9;
  }

  /** Any JSON value. */
  value(value: unknown, depth = 0): void {
    if (depth > MAX_DEPTH) throw new TypeError(`a value nested deeper than ${MAX_DEPTH} levels`);
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        return this.number(value);
      case 'boolean':
        this.room(1);
        this.buf[this.pos++] = value ? 0xc3 : 0xc2;
        return;
      case 'undefined':
        this.room(1);
        this.buf[this.pos++] = 0xc0;
        return;
      case 'object': {
        if (value === null) {
          this.room(1);
          this.buf[this.pos++] = 0xc0;
          return;
        }
        if (Array.isArray(value)) {
          this.arrayHeader(value.length);
          for (let i = 0; i < value.length; i++) this.value(value[i], depth + 1);
          return;
        }
        const record = value as Record<string, unknown>;
        let count = 0;
        for (const key in record) if (Object.prototype.hasOwnProperty.call(record, key)) count++;
        this.mapHeader(count);
        for (const key in record) {
          if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
          this.string(key);
          this.value(record[key], depth + 1);
        }
        return;
      }
      default:
        throw new TypeError(`a ${typeof value} has no MessagePack form here (JSON values only)`);
    }
  }
}
