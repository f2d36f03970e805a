import { defineConfig } from 'tsup';

/** Builds the public entry points as ESM with type declarations into dist/. */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'redis/index': 'src/redis/index.ts',
    'discordjs/index': 'src/discordjs/index.ts',
    'metrics/index': 'src/metrics/index.ts',
    'broker/index': 'src/broker/index.ts',
    'control/process-entry': 'src/control/process-entry.ts',
    'control/worker-entry': 'src/control/worker-entry.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
});
