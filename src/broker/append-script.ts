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
 * KEYS: the stream of each entry. ARGV[1]: maxLen; ARGV[i + 1]: the `data` of entry i.
 * Returns a flat list `{ index (from 0), error message, … }`, empty when every entry was written.
 */
const APPEND = `
local failed = {}
for i = 1, #KEYS do
  local reply = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*', 'data', ARGV[i + 1])
  if type(reply) == 'table' and reply.err then
    failed[#failed + 1] = i - 1
    failed[#failed + 1] = reply.err
  end
end
return failed
`;

/** The script's name on the client (`defineCommand`). */
const APPEND_COMMAND = 'discluster_broker_append';

/** Sends one batch: resolves to the script's reply (see above), rejects when the call itself failed. */
export type AppendBatch = (keys: readonly string[], maxLen: string, data: readonly Buffer[]) => Promise<unknown>;

/**
 * Registers the script on `redis` (`defineCommand`: EVALSHA, falling back to EVAL once after a
 * NOSCRIPT, e.g. after Redis restarted) and returns the function that sends a batch. Keys of one
 * batch must live on one node (a single Redis, or a primary with replicas; not Redis Cluster).
 */
export const defineAppend = (redis: Redis): AppendBatch => {
  redis.defineCommand(APPEND_COMMAND, { lua: APPEND });
  const command = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[APPEND_COMMAND]!.bind(redis);
  return (keys, maxLen, data) => command(keys.length, ...keys, maxLen, ...data);
};
