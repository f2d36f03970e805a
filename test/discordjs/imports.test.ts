import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const sources = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));

const IMPORT_OF_DISCORDJS = /(?:from\s+|import\s*\(\s*|import\s+)['"]@discordjs\//;

test('nothing outside src/discordjs imports @discordjs/*, so the main and testing entries never need them', async (t) => {
  const files = (await sources('src')).filter((f) => !f.startsWith(join('src', 'discordjs')));
  t.true(files.length > 50);
  const offenders: string[] = [];
  for (const file of files) if (IMPORT_OF_DISCORDJS.test(await readFile(file, 'utf8'))) offenders.push(file);
  t.deepEqual(offenders, []);
});

test('src/discordjs imports only types from @discordjs/*: nothing of them is loaded at run time', async (t) => {
  const lines = (await Promise.all((await sources(join('src', 'discordjs'))).map((f) => readFile(f, 'utf8'))))
    .flatMap((text) => text.split('\n'))
    .filter((line) => IMPORT_OF_DISCORDJS.test(line));
  t.true(lines.length > 0);
  t.deepEqual(lines.filter((line) => !/^import type /.test(line)), []);
});
