import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import of a file of `src/` by another (type-only imports and re-exports included). */
export interface Edge {
  readonly from: string;
  readonly to: string;
}

/** The public entries as `tsconfig.json` maps them, should a file of `src/` import the package by name. */
const PACKAGE_ENTRIES: Readonly<Record<string, string>> = {
  '@discluster/cluster': 'index.ts',
  '@discluster/cluster/testing': 'testing/index.ts',
  '@discluster/cluster/redis': 'redis/index.ts',
  '@discluster/cluster/discordjs': 'discordjs/index.ts',
  '@discluster/cluster/metrics': 'metrics/index.ts',
};

/** Every `.ts` file under `dir`, as paths relative to `root`, in order. */
export const sourceFiles = (root: string, dir = root): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(root, path);
      return /\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative(root, path)] : [];
    })
    .sort();

/** The file a specifier names, relative to `root`, or undefined for a package (or a file that is not TypeScript). */
const resolveSpecifier = (root: string, file: string, specifier: string): string | undefined => {
  if (PACKAGE_ENTRIES[specifier] !== undefined) return PACKAGE_ENTRIES[specifier];
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(root, dirname(file), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((candidate) => /\.m?ts$/.test(candidate) && existsSync(candidate));
  return found === undefined ? undefined : relative(root, found);
};

/**
 * Every import between files of `root` (`import`, `import type`, `export … from`, `import()`
 * and `import('…')` types alike), read by TypeScript's own pre-processor, so that comments and
 * strings are never taken for imports.
 */
export const importEdges = (root: string): Edge[] =>
  sourceFiles(root).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(join(root, file), 'utf8'), true, true)
      .importedFiles.flatMap(({ fileName }) => {
        const to = resolveSpecifier(root, file, fileName);
        return to === undefined || to === file ? [] : [{ from: file, to }];
      }),
  );

/** The room of a file of `src/`: its top folder, or the file itself when it lies at the top. */
export const roomOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);

/** What is wrong with the room list itself: a room named twice, or allowed to import one listed after it (or unknown). */
export const roomListProblems = (rooms: readonly { readonly room: string; readonly mayImport: readonly string[] }[]): string[] => {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const { room, mayImport } of rooms) {
    if (seen.has(room)) problems.push(`room ${room} is listed twice`);
    for (const lower of mayImport) if (!seen.has(lower)) problems.push(`room ${room} may import ${lower}, which is not listed before it`);
    seen.add(room);
  }
  return problems;
};

/** Imports that break the room list, one line each, naming both files. */
export const roomViolations = (edges: readonly Edge[], rooms: readonly { readonly room: string; readonly mayImport: readonly string[] }[]): string[] => {
  const allowed = new Map(rooms.map(({ room, mayImport }) => [room, new Set(mayImport)]));
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const [a, b] = [roomOf(from), roomOf(to)];
    if (a === b) continue;
    const may = allowed.get(a);
    if (may === undefined) problems.push(`src/${from} is in room ${a}, which the room list does not name`);
    else if (!may.has(b)) problems.push(`src/${from} imports src/${to}: room ${a} may not import room ${b} (it may import: ${[...may].join(', ') || 'no other room'})`);
  }
  return problems;
};

/**
 * Every circle of files, each as the files in import order back to the first one
 * (`a.ts → b.ts → a.ts`): one per strongly connected group of files, found by Tarjan's algorithm,
 * the circle shown being a shortest one through the group's first file.
 */
export const fileCircles = (edges: readonly Edge[]): string[][] => {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file)!, index.get(to)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const file of [...next.keys()].sort()) if (!index.has(file)) visit(file);
  return groups.map((group) => shortestCircle(group[0]!, new Set(group), next));
};

/** A shortest path from `start` back to itself within `group` (breadth first). */
const shortestCircle = (start: string, group: ReadonlySet<string>, next: ReadonlyMap<string, string[]>): string[] => {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const to of next.get(file) ?? []) {
      if (!group.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at = file; at !== start; at = cameFrom.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, file);
        queue.push(to);
      }
    }
  }
  return [start, start];
};
