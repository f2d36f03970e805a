import test from 'ava';
import fc from 'fast-check';
import { rateLimitHeaders, takeFromBucket, type BucketState } from '../../src/testing/rest/rate-limit.js';

const rules = fc.record({ limit: fc.integer({ min: 1, max: 10 }), windowMs: fc.integer({ min: 1, max: 10_000 }) });
/** Request times as gaps from the previous one (0: at the same ms). */
const gaps = fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 60 });

test('REST bucket: agrees with a fixed-window model at every step; a refusal names a wait after which a request passes; any window-long span holds at most 2 × limit', (t) => {
  fc.assert(
    fc.property(rules, gaps, (rule, steps) => {
      let state: BucketState | undefined;
      let now = 0;
      let windowStart: number | undefined;
      let used = 0;
      const allowedAt: number[] = [];
      for (const gap of steps) {
        now += gap;
        if (windowStart === undefined || now >= windowStart + rule.windowMs) {
          windowStart = now;
          used = 0;
        }
        const expected = used < rule.limit;
        if (expected) used++;
        const verdict = takeFromBucket(state, rule, now);
        if (verdict.allowed !== expected) return false;
        if (verdict.state.remaining !== rule.limit - used) return false;
        if (verdict.resetAfterMs !== windowStart + rule.windowMs - now) return false;
        if (!verdict.allowed && !takeFromBucket(verdict.state, rule, now + verdict.resetAfterMs).allowed) return false;
        if (verdict.allowed) allowedAt.push(now);
        state = verdict.state;
      }
      for (let i = 0; i + 2 * rule.limit < allowedAt.length; i++) {
        if (allowedAt[i + 2 * rule.limit]! - allowedAt[i]! < rule.windowMs) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('REST bucket: a window allows exactly `limit` requests, then refuses until it resets', (t) => {
  fc.assert(
    fc.property(rules, fc.integer({ min: 0, max: 1e9 }), (rule, start) => {
      let state: BucketState | undefined;
      const remaining: number[] = [];
      for (let i = 0; i < rule.limit; i++) {
        const v = takeFromBucket(state, rule, start);
        if (!v.allowed) return false;
        remaining.push(v.state.remaining);
        state = v.state;
      }
      const refused = takeFromBucket(state, rule, start + rule.windowMs - 1);
      const after = takeFromBucket(refused.state, rule, start + rule.windowMs);
      return (
        remaining.every((r, i) => r === rule.limit - 1 - i) &&
        !refused.allowed &&
        refused.resetAfterMs === 1 &&
        after.allowed &&
        after.state.remaining === rule.limit - 1 &&
        after.state.resetAt === start + 2 * rule.windowMs
      );
    }),
  );
  t.pass();
});

test('REST bucket headers: Discord names, seconds with ms precision, reset consistent with reset-after', (t) => {
  fc.assert(
    fc.property(rules, fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }), (rule, at, unixNow) => {
      const v = takeFromBucket(undefined, rule, at);
      const h = rateLimitHeaders(rule, v, 'b', unixNow);
      return (
        h['x-ratelimit-limit'] === String(rule.limit) &&
        h['x-ratelimit-remaining'] === String(rule.limit - 1) &&
        h['x-ratelimit-bucket'] === 'b' &&
        Number(h['x-ratelimit-reset-after']) === rule.windowMs / 1000 &&
        Math.abs(Number(h['x-ratelimit-reset']) * 1000 - (unixNow + rule.windowMs)) < 1
      );
    }),
  );
  t.pass();
});
