import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Edge, fileCircles, importEdges, roomListProblems, roomViolations } from './imports.js';
import { ROOMS } from './rooms.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const edges = importEdges(SRC);

test('the room list is a ladder: every room imports only rooms listed before it', (t) => {
  t.deepEqual(roomListProblems(ROOMS), []);
});

test("the README's room table mirrors test/layout/rooms.ts", (t) => {
  const readme = readFileSync(resolve(SRC, '../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### How the code is laid out'));
  const rows = [...section.matchAll(/^\| `([^`]+)` \| ([^|]+) \|$/gm)].map(([, room, may]) => ({ room: room!, may: may!.trim() }));
  t.deepEqual(
    rows.map((row) => row.room),
    ROOMS.map((r) => r.room),
  );
  for (const { room, mayImport } of ROOMS) {
    const may = rows.find((row) => row.room === room)?.may ?? '';
    if (room === 'cli') t.true(may.startsWith('every room'), room);
    else if (mayImport.length === 0) t.true(may.startsWith('nothing'), room);
    else t.is(may, mayImport.join(', '), room);
  }
});

test('the walk reads the imports of src/ (type-only ones and re-exports included)', (t) => {
  const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
  t.true(edges.length > 200, `${edges.length} imports found`);
  t.true(has('cluster/index.ts', 'reshard/layout.ts'), 'a re-export');
  t.true(has('reshard/reshard.ts', 'reshard/host.ts'), 'an import type');
});

test('no import breaks the room order (see test/layout/rooms.ts and the README)', (t) => {
  const problems = roomViolations(edges, ROOMS);
  t.deepEqual(problems, [], `imports against the room order:\n${problems.join('\n')}`);
});

test('no circle of files anywhere in src/, not even type-only', (t) => {
  const circles = fileCircles(edges).map((circle) => circle.map((file) => `src/${file}`).join(' → '));
  t.deepEqual(circles, [], `import circles:\n${circles.join('\n')}`);
});

test('the check itself: a circle and a wrong-way import are found, naming the files', (t) => {
  const made: Edge[] = [
    { from: 'shard/a.ts', to: 'shard/b.ts' },
    { from: 'shard/b.ts', to: 'shard/c.ts' },
    { from: 'shard/c.ts', to: 'shard/a.ts' },
    { from: 'shard/c.ts', to: 'cluster/d.ts' },
  ];
  t.deepEqual(fileCircles(made), [['shard/a.ts', 'shard/b.ts', 'shard/c.ts', 'shard/a.ts']]);
  t.deepEqual(roomViolations(made, ROOMS), ['src/shard/c.ts imports src/cluster/d.ts: room shard may not import room cluster (it may import: gateway)']);
  t.deepEqual(roomViolations([{ from: 'elsewhere/x.ts', to: 'shard/a.ts' }], ROOMS), ['src/elsewhere/x.ts is in room elsewhere, which the room list does not name']);
});
