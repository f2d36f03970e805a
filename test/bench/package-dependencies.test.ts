import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import ts from 'typescript';
import { PACKAGE_DEPENDENCIES } from '../../bench/contenders.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** The specifiers a file imports at runtime: its JavaScript as TypeScript emits it (type-only imports gone), read by TypeScript's pre-processor. */
const valueImports = (file: string): string[] => {
  const { outputText } = ts.transpileModule(readFileSync(join(SRC, file), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  // static imports only: a dynamic import() loads nothing until it runs
  return ts.preProcessFile(outputText, true, false).importedFiles.map(({ fileName }) => fileName);
};

/** The npm modules the package's main entry loads when imported: bare specifiers over the closure of its files' static value imports. */
const npmModulesLoaded = (entry: string): Set<string> => {
  const seen = new Set<string>();
  const modules = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith('.')) {
        const target = resolve(SRC, dirname(file), specifier).replace(/\.js$/, '.ts');
        const found = [target, join(target.replace(/\.ts$/, ''), 'index.ts')].find((candidate) => existsSync(candidate));
        if (found === undefined) throw new Error(`src/${file} imports ${specifier}, which is not a file of src/`);
        visit(relative(SRC, found));
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) modules.add(specifier);
    }
  };
  visit(entry);
  return modules;
};

test("the storm's floor with the dependencies loads what the package's main entry loads from npm, besides ws", (t) => {
  const loaded = npmModulesLoaded('index.ts');
  t.deepEqual([...loaded].filter((m) => m !== 'ws').sort(), [...PACKAGE_DEPENDENCIES].sort());
});
