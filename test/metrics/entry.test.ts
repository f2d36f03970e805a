import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g;

/** Every module a source file imports, statically or by re-export, followed through relative paths. */
const reachable = (entry: string): { files: Set<string>; packages: Set<string> } => {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
      else packages.add(spec!);
    }
  };
  visit(resolve(SRC, entry));
  return { files, packages };
};

test('the main entry never imports prom-client; the metrics entry does', (t) => {
  const main = reachable('index.ts');
  t.true(main.files.size > 20, 'the walk found the library');
  t.false(main.packages.has('prom-client'));
  // the bridge counts for `stats` with the pure tables, which import no prom-client
  const countingFiles = [...main.files].filter((f) => f.includes('/counting/')).map((f) => f.slice(f.indexOf('/counting/') + 1)).sort();
  t.deepEqual(countingFiles, ['counting/counting.ts', 'counting/dispatch-counts.ts', 'counting/lifecycle-counts.ts']);
  t.false([...main.files].some((f) => f.includes('/metrics/')));
  t.true(reachable('metrics/index.ts').packages.has('prom-client'));
});
