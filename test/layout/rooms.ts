/**
 * The rooms of `src/` (its top folders, plus `src/index.ts`, the public surface) and which rooms
 * each may import, listed from the bottom up: a room may import only rooms listed before it, so
 * the arrows all point down and the room graph has no circle. Imports inside a room are free
 * (but no circle of files, anywhere). The README's "How the code is laid out" mirrors this list;
 * change both together. `imports.test.ts` holds `src/` to it.
 */
export const ROOMS: readonly { readonly room: string; readonly mayImport: readonly string[] }[] = [
  { room: 'gateway', mayImport: [] },
  { room: 'shard', mayImport: ['gateway'] },
  { room: 'rest', mayImport: ['gateway', 'shard'] },
  { room: 'reshard', mayImport: ['gateway', 'shard'] },
  { room: 'cluster', mayImport: ['gateway', 'shard', 'reshard'] },
  { room: 'counting', mayImport: ['gateway', 'shard', 'reshard', 'cluster'] },
  { room: 'control', mayImport: ['gateway', 'shard', 'reshard', 'cluster', 'counting'] },
  { room: 'redis', mayImport: ['gateway', 'shard', 'reshard', 'cluster'] },
  { room: 'broker', mayImport: ['gateway', 'shard', 'reshard', 'cluster', 'redis'] },
  { room: 'discordjs', mayImport: ['gateway', 'shard', 'reshard', 'cluster'] },
  { room: 'metrics', mayImport: ['gateway', 'shard', 'reshard', 'cluster', 'counting', 'control', 'broker'] },
  { room: 'index.ts', mayImport: ['gateway', 'shard', 'rest', 'reshard', 'cluster', 'control'] },
  { room: 'testing', mayImport: [] },
  { room: 'cli', mayImport: ['gateway', 'shard', 'rest', 'reshard', 'cluster', 'counting', 'control', 'redis', 'broker', 'discordjs', 'metrics', 'testing'] },
];
