import type { Redis } from 'ioredis';

/**
 * The handover ledger's script: the multiset rule for a batch of keys, atomically. KEYS: the
 * ledger keys (hashes with fields `o` and `n`, the copies offered by each side; a key may repeat,
 * each occurrence is a copy). ARGV: windowMs, then one character per key, `o` or `n`, its side.
 * Returns one 0/1 per key: 1 when that copy is admitted (its side's count, with it, exceeds the
 * other's). Each key expires windowMs after its last offer.
 */
const OFFER = `
local window = tonumber(ARGV[1])
local sides = ARGV[2]
local verdicts = {}
for i = 1, #KEYS do
  local mine, other = 'o', 'n'
  if string.sub(sides, i, i) == 'n' then mine, other = 'n', 'o' end
  local count = redis.call('HINCRBY', KEYS[i], mine, 1)
  local theirs = tonumber(redis.call('HGET', KEYS[i], other) or '0')
  redis.call('PEXPIRE', KEYS[i], window)
  if count > theirs then verdicts[i] = 1 else verdicts[i] = 0 end
end
return verdicts
`;

/** Name under which the script is registered on a client. */
const NAME = 'discluster_ledger_offer';

/** Script handle: adds one call for `keys` to a pipeline (or any ioredis command target). */
export type LedgerOffer = (target: Redis | ReturnType<Redis['pipeline']>, keys: readonly string[], sides: string, windowMs: number) => void;

/**
 * Registers the script on `redis` (`defineCommand`: EVALSHA, falling back to EVAL when Redis
 * no longer knows the script, e.g. after a restart) and returns a function that queues a call.
 */
export const defineLedgerScript = (redis: Redis): LedgerOffer => {
  if (typeof (redis as unknown as Record<string, unknown>)[NAME] !== 'function') redis.defineCommand(NAME, { lua: OFFER });
  return (target, keys, sides, windowMs) => {
    const fn = (target as unknown as Record<string, (...args: (string | number)[]) => unknown>)[NAME];
    if (typeof fn !== 'function') throw new Error(`script ${NAME} was not defined`);
    // numberOfKeys is not fixed: it is passed first
    void fn.call(target, keys.length, ...keys, windowMs, sides);
  };
};
