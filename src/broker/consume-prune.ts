import type { Redis } from 'ioredis';

/**
 * Removes from the group, atomically, each consumer other than this one that has nothing pending
 * and has not read for longer than `idleMs`: what a worker that died (its entries since claimed
 * by others) or left leaves behind. Removing one loses nothing (nothing pending, checked in the
 * same script) and a live consumer removed by mistake is created again by its next read. Without
 * this, a group whose workers are named per process collects their names forever.
 * KEYS: stream. ARGV: group, this consumer, idleMs. Returns how many were removed.
 */
const PRUNE = `
local removed = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local fields = {}
  for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
  if fields['name'] ~= ARGV[2] and tonumber(fields['pending']) == 0 and tonumber(fields['idle']) > tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], fields['name'])
    removed = removed + 1
  end
end
return removed
`;

/**
 * How long a consumer must have been idle, with nothing pending, to be removed: well past the
 * longest a live one goes between reads (a read blocks at most `blockMs` and runs at least every
 * claim pass; a backoff waits at most 5 s).
 */
export const pruneIdleMs = (claimIdleMs: number, blockMs: number): number => 2 * Math.max(claimIdleMs, blockMs) + 5_000;

/** Runs the prune script on `stream` (see above). */
export const pruneIdleConsumers = async (redis: Redis, stream: string, group: string, consumer: string, idleMs: number): Promise<number> => Number(await redis.eval(PRUNE, 1, stream, group, consumer, String(idleMs)));
