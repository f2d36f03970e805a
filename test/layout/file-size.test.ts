import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file past this many lines is a sign of two concerns in one (README, "How the code is laid out"). */
const MAX_LINES = 300;

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });

test(`no file in src/ is over ${MAX_LINES} lines`, (t) => {
  const files = sourceFiles(SRC);
  t.true(files.length > 100, `${files.length} files read`);
  const long = files
    .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `src/${file}: ${lines} lines`);
  t.deepEqual(long, [], `split these by concern:\n${long.join('\n')}`);
});
