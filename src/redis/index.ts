/**
 * `@discluster/cluster/redis`: an identify queue, a session store and a handover ledger shared through Redis, for
 * clusters spread over several processes or machines. Needs `ioredis` 5 and Redis 6.0 or later.
 * See `README.md` in this folder.
 */
export { createRedisIdentifyQueue, type RedisIdentifyQueue, type RedisIdentifyQueueOptions, type RedisQueueStatus } from './identify-queue.js';
export { createRedisSessionStore, type RedisSessionStore, type RedisSessionStoreOptions } from './session-store.js';
export { createRedisHandoverLedger, type RedisHandoverLedger, type RedisHandoverLedgerOptions, type RedisLedgerCounts } from './handover-ledger.js';
export { CLIENT_DEFAULTS, type RedisConnection } from './client.js';
export type { RedisHealth } from './health.js';
