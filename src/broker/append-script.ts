import type { Redis } from 'ioredis';

/**
 * The producer's one command per event-loop turn: a Lua script that runs the turn's
 * `XADD key MAXLEN ~ maxLen * data <bytes>`, one per entry, in their order. Entries on the wire
 * are exactly what a pipeline of the same XADDs would write; the client's cost is not: ioredis
 * builds a command, a promise and a reply for each piped XADD (~15 µs per entry measured here,
 * against ~5 µs through the script, `bench/broker-producer.ts`), and the script answers with the
 * failures only. Each XADD runs under `pcall`, so one refused entry (a key of another type)
 * leaves the others written and is reported by its index.
 *
 * With an age (`maxAgeMs`), each stream a batch wrote to is also trimmed once by age, after its
 * first entry: `XTRIM key MINID ~ <Redis's now - age>` (Redis 6.2 or later; on older ones the
 * trim fails and is skipped, the length bound still holds).
 *
 * KEYS: the stream of each entry. ARGV[1]: maxLen; ARGV[2]: the age in ms, or ''; ARGV[i + 2]:
 * the `data` of entry i. Returns a flat list `{ index (from 0), error message, … }`, empty when
 * every entry was written.
 */
const APPEND = `
local failed = {}
local minId = nil
if ARGV[2] ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  minId = string.format('%.0f', math.max(0, now - tonumber(ARGV[2]))) .. '-0'
end
local trimmed = {}
for i = 1, #KEYS do
  local reply = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*', 'data', ARGV[i + 2])
  if type(reply) == 'table' and reply.err then
    failed[#failed + 1] = i - 1
    failed[#failed + 1] = reply.err
  elseif minId ~= nil and not trimmed[KEYS[i]] then
    trimmed[KEYS[i]] = true
    redis.pcall('XTRIM', KEYS[i], 'MINID', '~', minId)
  end
end
return failed
`;

/** The script's name on the client (`defineCommand`). */
const APPEND_COMMAND = 'discluster_broker_append';

/** Sends one batch: resolves to the script's reply (see above), rejects when the call itself failed. */
export type AppendBatch = (keys: readonly string[], maxLen: string, maxAgeMs: string, data: readonly Buffer[]) => Promise<unknown>;

/**
 * Registers the script on `redis` (`defineCommand`: EVALSHA, falling back to EVAL once after a
 * NOSCRIPT, e.g. after Redis restarted) and returns the function that sends a batch. Keys of one
 * batch must live on one node (a single Redis, or a primary with replicas; not Redis Cluster).
 */
export const defineAppend = (redis: Redis): AppendBatch => {
  redis.defineCommand(APPEND_COMMAND, { lua: APPEND });
  const command = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[APPEND_COMMAND]!.bind(redis);
  return (keys, maxLen, maxAgeMs, data) => command(keys.length, ...keys, maxLen, maxAgeMs, ...data);
};
