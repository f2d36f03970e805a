import test from 'ava';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { decodeEntry } from '../../src/broker/entry-decode.js';
import { decideDelivery, readCountPerStream } from '../../src/broker/dead-letter-decision.js';
import { InFlightLedger } from '../../src/broker/consume-in-flight.js';

const RUNS = 500;
const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Field lists as Redis could return them, including nonsense: odd lengths, strings, empty values. */
const garbageFields = fc.oneof(
  fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }).map(bytes), fc.string({ maxLength: 8 })), { maxLength: 6 }),
  fc.uint8Array({ maxLength: 256 }).map((raw) => ['data', bytes(raw)]),
  fc.anything().map((value) => ['data', bytes(encode(value, { ignoreUndefined: true }))]),
  fc.anything().map((value) => ['data', Buffer.from(JSON.stringify({ x: value }) ?? '{')]),
  fc.uint8Array({ maxLength: 64 }).map((raw) => ['data', Buffer.concat([Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff]), bytes(raw)])]),
  fc.uint8Array({ maxLength: 64 }).map((raw) => ['data', Buffer.concat([Buffer.from([0xdd, 0x7f, 0xff, 0xff, 0xff]), bytes(raw)])]),
  fc.constant(null as unknown as Buffer[]),
);

test('decodeEntry never throws, on any bytes: it decodes or says why not, and keeps the data bytes', (t) => {
  fc.assert(
    fc.property(garbageFields, (fields) => {
      const result = decodeEntry(fields, 'p:MESSAGE_CREATE', '1-0', 'MESSAGE_CREATE');
      if (result.ok) {
        t.true(Number.isSafeInteger(result.shardId) && result.shardId >= -1);
        t.is(typeof result.payload.t, 'string');
        t.true(result.origin.length > 0);
      } else t.true(result.reason.length > 0);
      t.true(Buffer.isBuffer(result.raw));
    }),
    { numRuns: RUNS },
  );
});

const dispatch = fc.record({ op: fc.constant(0 as const), t: fc.constantFrom('MESSAGE_CREATE', 'GUILD_CREATE', 'TYPING_START'), s: fc.nat(), d: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())) });
const entry = fc.record({ shardId: fc.nat(4096), payload: dispatch, origin: fc.string({ minLength: 1, maxLength: 40 }) });

test('decodeEntry reads back what the wire format writes, in msgpack and in JSON', (t) => {
  fc.assert(
    fc.property(entry, fc.boolean(), (written, json) => {
      const data = json ? Buffer.from(JSON.stringify(written)) : bytes(encode(written));
      const result = decodeEntry(['data', data], `k:${written.payload.t}`, '5-1', written.payload.t);
      t.true(result.ok);
      if (!result.ok) return;
      t.is(result.shardId, written.shardId);
      t.deepEqual(result.payload, written.payload);
      t.is(result.origin, written.origin);
      t.deepEqual(result.data, written);
    }),
    { numRuns: RUNS },
  );
});

test("decodeEntry on an entry of @discordjs/brokers' publish(event, data): shardId -1, the event as t, s -1, origin from the entry id, data kept", (t) => {
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('content', 'id', 'n'), fc.oneof(fc.string(), fc.nat())), (data) => {
      const result = decodeEntry([Buffer.from('data'), bytes(encode(data))], 'MESSAGE_CREATE', '7-3', 'MESSAGE_CREATE');
      t.true(result.ok);
      if (!result.ok) return;
      t.is(result.shardId, -1);
      t.deepEqual(result.payload, { op: 0, t: 'MESSAGE_CREATE', s: -1, d: data } as never);
      t.is(result.origin, 'MESSAGE_CREATE:7-3');
      t.deepEqual(result.data, data);
    }),
    { numRuns: 100 },
  );
});

test('decideDelivery: an undecodable entry is never delivered; a decodable one is delivered exactly maxDeliveries times over its counts 1, 2, …', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 60 }), (maxDeliveries, tries) => {
      let delivered = 0;
      for (let count = 1; count <= tries; count++) {
        t.is(decideDelivery(false, count, maxDeliveries).action, 'dead-letter');
        if (decideDelivery(true, count, maxDeliveries).action === 'deliver') delivered++;
      }
      t.is(delivered, Math.min(tries, maxDeliveries));
    }),
    { numRuns: 200 },
  );
});

test('readCountPerStream never asks for more than the free places nor the batch, over all streams', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -5, max: 500 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40 }), (free, batch, streams) => {
      const n = readCountPerStream(free, batch, streams);
      t.true(n >= 0);
      t.true(n * streams <= Math.max(0, free) && n * streams <= batch);
      if (free >= streams && batch >= streams && streams > 0) t.true(n >= 1);
    }),
    { numRuns: RUNS },
  );
});

type Step = { kind: 'read'; n: number } | { kind: 'ack'; index: number } | { kind: 'tick'; ms: number } | { kind: 'redeliver'; index: number };

test('InFlightLedger: whatever the interleaving of reads, acks, redeliveries and time, live entries never exceed the bound', (t) => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('read' as const), n: fc.nat(20) }),
    fc.record({ kind: fc.constant('ack' as const), index: fc.nat(100) }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(400) }),
    fc.record({ kind: fc.constant('redeliver' as const), index: fc.nat(100) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1000 }), fc.array(step, { maxLength: 80 }), (max, leaseMs, steps) => {
      let now = 0;
      let next = 0;
      const ledger = new InFlightLedger(max, leaseMs, () => now);
      const held: string[] = [];
      for (const s of steps) {
        if (s.kind === 'read') {
          const places = ledger.reserve(s.n);
          t.true(places <= s.n);
          for (let i = 0; i < places; i++) {
            const key = `e${next++}`;
            ledger.delivered(key);
            held.push(key);
          }
          ledger.unreserve(places);
        } else if (s.kind === 'ack' && held.length > 0) ledger.acked(held.splice(s.index % held.length, 1)[0]!);
        else if (s.kind === 'redeliver' && held.length > 0) {
          const places = ledger.reserve(1);
          if (places === 1) ledger.delivered(held[s.index % held.length]!);
          ledger.unreserve(places);
        } else if (s.kind === 'tick') now += s.ms;
        t.true(ledger.live <= max, `live ${ledger.live} > ${max}`);
        t.true(ledger.live + ledger.reserved <= max);
        t.true(ledger.free >= 0);
      }
    }),
    { numRuns: RUNS },
  );
});
