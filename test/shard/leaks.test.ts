import test from 'ava';
import { firstValueFrom, filter } from 'rxjs';
import { shard } from '../../src/shard/shard.js';
import { createMemoryIdentifyQueue } from '../../src/shard/identify-queue.js';
import { createEmulator } from '../../src/testing/index.js';
import { activeResources } from '../helpers/collect.js';

const CYCLES = Number(process.env.LEAK_CYCLES ?? 300);

test.serial(`${CYCLES} connect/teardown cycles leave no handle behind and bounded heap`, async (t) => {
  const gw = await createEmulator({ token: 'leak-token', heartbeatInterval: 30_000, identifyWindowMs: 0, maxConcurrency: 1, sessionStartLimit: { total: 100_000 } });
  t.teardown(() => gw.close());
  const identifyQueue = createMemoryIdentifyQueue({ maxConcurrency: 1, windowMs: 0, safetyMarginMs: 0 });
  const options = { token: 'leak-token', intents: 1, shardId: 0, totalShards: 1, url: gw.url, identifyQueue };
  const cycle = async () => {
    let sub;
    await new Promise<void>((resolve) => {
      sub = shard(options).pipe(filter((e) => e.type === 'status' && e.status === 'ready')).subscribe(() => resolve());
    });
    (sub as unknown as { unsubscribe(): void }).unsubscribe();
    await firstValueFrom(gw.records$.pipe(filter((r) => r.kind === 'close')));
  };
  for (let i = 0; i < 20; i++) await cycle(); // warm up JIT and pools
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = activeResources();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < CYCLES; i++) await cycle();
  const deadline = performance.now() + 2000;
  while (JSON.stringify(activeResources()) !== JSON.stringify(baseline) && performance.now() < deadline) await new Promise((r) => setImmediate(r));
  t.deepEqual(activeResources(), baseline);
  gc?.();
  const growth = process.memoryUsage().heapUsed - heapBefore;
  t.log(`heap growth over ${CYCLES} cycles: ${(growth / 1024).toFixed(0)} KiB (${gc ? 'after GC' : 'no --expose-gc'}); emulator records kept: ${gw.records.length}`);
  t.true(growth < 32 * 1024 * 1024, `heap grew by ${growth} bytes`);
});
