// Runs worker-entry.ts from source. On Node 20 a worker thread does not inherit the tsx hooks of
// `--import tsx`, and a .ts file cannot be a worker's main module; this plain module registers
// tsx first. Only used when the library runs from src/ (tests); dist/ uses worker-entry.js.
import { register } from 'tsx/esm/api';

register();
await import('./worker-entry.ts');
