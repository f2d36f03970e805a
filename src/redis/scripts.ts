import type { Redis } from 'ioredis';

/*
 * The identify queue's Lua scripts. Each runs atomically on Redis and reads time from Redis's own
 * clock (`TIME`), so processes on machines with skewed clocks agree on every window. Keys of one
 * bucket: `state` (hash: holder, until, free), `tickets` (sorted set, FIFO by arrival time in µs)
 * and `alive` (hash: ticket → ms until which its waiter counts as alive). The budget is one
 * counter for the whole bot (`budget`: identifies left today) plus `reserved` (sorted set: granted
 * tickets whose identify is not sent yet → until when their lease runs): a grant reserves a unit,
 * `SENT` spends it, a release without it gives it back (see shard/identify-budget.ts, which this
 * mirrors). Needs Redis 6.0 or later (`KEEPTTL`).
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Enqueues the ticket if new, keeps it alive and grants the lease when the bucket is free and the
 * ticket is the oldest live one. KEYS: state, tickets, alive, budget, reserved. ARGV: ticket,
 * leaseTtlMs, gapMs (window + margin), ticketTtlMs, budget remaining (-1: no limit), budget TTL ms.
 * Returns `{0, 0}` granted, `{1, ms}` wait (ms: how long the bucket surely stays closed, 0 when
 * unknown: a holder may release at any time, or every unit left is reserved by unsent grants),
 * `{2, ms}` budget spent (ms until it resets).
 */
const POLL = `${NOW}
local ticket = ARGV[1]
local leaseTtl = tonumber(ARGV[2])
local gap = tonumber(ARGV[3])
local ticketTtl = tonumber(ARGV[4])
local state, tickets, alive, budgetKey, reserved = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call('HGET', state, 'holder') == ticket then
  redis.call('HSET', state, 'until', now + leaseTtl)
  if redis.call('ZSCORE', reserved, ticket) then redis.call('ZADD', reserved, 'XX', now + leaseTtl, ticket) end
  return {0, 0}
end
if not redis.call('ZSCORE', tickets, ticket) then
  redis.call('ZADD', tickets, tonumber(t[1]) * 1000000 + tonumber(t[2]), ticket)
end
redis.call('HSET', alive, ticket, now + ticketTtl)
redis.call('PEXPIRE', tickets, ticketTtl * 2)
redis.call('PEXPIRE', alive, ticketTtl * 2)
local holder = redis.call('HGET', state, 'holder')
if holder then
  local expires = tonumber(redis.call('HGET', state, 'until'))
  if now < expires then return {1, 0} end
  -- the holder stopped renewing (crashed): its window counts from the lapse
  local free = tonumber(redis.call('HGET', state, 'free') or '0')
  redis.call('HDEL', state, 'holder', 'until')
  redis.call('HSET', state, 'free', math.max(free, expires + gap))
end
local free = tonumber(redis.call('HGET', state, 'free') or '0')
if now < free then return {1, free - now} end
while true do
  local head = redis.call('ZRANGE', tickets, 0, 0)[1]
  if (not head) or head == ticket then break end
  local aliveUntil = tonumber(redis.call('HGET', alive, head) or '0')
  if aliveUntil > now then return {1, 0} end
  redis.call('ZREM', tickets, head)
  redis.call('HDEL', alive, head)
end
local budget = tonumber(ARGV[5])
if budget >= 0 then
  local left = tonumber(redis.call('GET', budgetKey) or '-1')
  if left < 0 then
    left = budget
    redis.call('SET', budgetKey, left, 'PX', tonumber(ARGV[6]))
  elseif budget < left then
    left = budget
    redis.call('SET', budgetKey, left, 'KEEPTTL')
  end
  if left <= 0 then
    redis.call('ZREM', tickets, ticket)
    redis.call('HDEL', alive, ticket)
    return {2, redis.call('PTTL', budgetKey)}
  end
  -- units held by grants whose identify is not sent yet (lapsed leases hold none)
  redis.call('ZREMRANGEBYSCORE', reserved, '-inf', now)
  if left - redis.call('ZCARD', reserved) <= 0 then return {1, 0} end
  redis.call('ZADD', reserved, now + leaseTtl, ticket)
  redis.call('PEXPIRE', reserved, leaseTtl + 60000)
end
redis.call('ZREM', tickets, ticket)
redis.call('HDEL', alive, ticket)
redis.call('HSET', state, 'holder', ticket, 'until', now + leaseTtl)
redis.call('PEXPIRE', state, leaseTtl + gap + 60000)
return {0, 0}
`;

/**
 * Extends the lease while its holder still has it (and its reserved unit with it). KEYS: state,
 * reserved. ARGV: ticket, leaseTtlMs. Returns 1 when extended, 0 when the lease is no longer this ticket's.
 */
const RENEW = `${NOW}
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'until', now + tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 120000)
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) + 60000)
end
return 1
`;

/**
 * The ticket's identify was sent: its reserved unit is spent (the budget goes down by one, even
 * when the reservation had lapsed: the identify went out all the same). Called once per ticket.
 * KEYS: budget, reserved. ARGV: ticket. Returns the identifies left (-1: not counted).
 */
const SENT = `
redis.call('ZREM', KEYS[2], ARGV[1])
local left = tonumber(redis.call('GET', KEYS[1]) or '-1')
if left > 0 then left = redis.call('DECR', KEYS[1]) end
return left
`;

/**
 * Gives a place up or a lease back, and an unspent reserved unit with it. KEYS: state, tickets,
 * alive, reserved. ARGV: ticket, gapMs, identified (1 when the identify was sent: the bucket is
 * then closed for gapMs from now; 0: no identify went out, no window starts). Returns 1.
 */
const RELEASE = `${NOW}
local state, ticket, gap = KEYS[1], ARGV[1], tonumber(ARGV[2])
redis.call('ZREM', KEYS[2], ticket)
redis.call('HDEL', KEYS[3], ticket)
redis.call('ZREM', KEYS[4], ticket)
if redis.call('HGET', state, 'holder') == ticket then redis.call('HDEL', state, 'holder', 'until') end
if ARGV[3] == '1' then
  local free = tonumber(redis.call('HGET', state, 'free') or '0')
  redis.call('HSET', state, 'free', math.max(free, now + gap))
  redis.call('PEXPIRE', state, math.max(redis.call('PTTL', state), gap + 60000))
end
return 1
`;

/** The scripts' reply to a poll: granted, wait (with a hint in ms), or budget spent (ms until reset). */
export type PollReply = readonly [0 | 1 | 2, number];

/** Typed handles on the scripts, registered on one client. */
export interface QueueScripts {
  poll(keys: readonly [string, string, string, string, string], args: readonly (string | number)[]): Promise<PollReply>;
  renew(keys: readonly [string, string], ticket: string, leaseTtlMs: number): Promise<boolean>;
  /** The identify was sent: spends the unit; resolves with the identifies left (-1: not counted). */
  sent(keys: readonly [string, string], ticket: string): Promise<number>;
  release(keys: readonly [string, string, string, string], ticket: string, gapMs: number, identified: boolean): Promise<void>;
}

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Registers the scripts on `redis` (`defineCommand`: EVALSHA, falling back to EVAL once after a
 * Redis restart) under names that will not clash with the client's own commands.
 */
export const defineQueueScripts = (redis: Redis): QueueScripts => {
  const names = { poll: 'discluster_iq_poll', renew: 'discluster_iq_renew', sent: 'discluster_iq_sent', release: 'discluster_iq_release' } as const;
  redis.defineCommand(names.poll, { numberOfKeys: 5, lua: POLL });
  redis.defineCommand(names.renew, { numberOfKeys: 2, lua: RENEW });
  redis.defineCommand(names.sent, { numberOfKeys: 2, lua: SENT });
  redis.defineCommand(names.release, { numberOfKeys: 4, lua: RELEASE });
  const fn = (name: string): ScriptFn => {
    const found = (redis as unknown as Record<string, ScriptFn>)[name];
    if (typeof found !== 'function') throw new Error(`script ${name} was not defined`);
    return found.bind(redis);
  };
  const poll = fn(names.poll);
  const renew = fn(names.renew);
  const release = fn(names.release);
  const sent = fn(names.sent);
  return {
    poll: async (keys, args) => {
      const reply = (await poll(...keys, ...args)) as [number, number];
      return [reply[0] as 0 | 1 | 2, Number(reply[1])];
    },
    renew: async (keys, ticket, leaseTtlMs) => (await renew(...keys, ticket, leaseTtlMs)) === 1,
    sent: async (keys, ticket) => Number(await sent(...keys, ticket)),
    release: async (keys, ticket, gapMs, identified) => void (await release(...keys, ticket, gapMs, identified ? 1 : 0)),
  };
};
