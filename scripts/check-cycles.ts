/**
 * Fails when a module under edge/ (or another folder given as arguments)
 * imports itself through a chain of relative imports, type-only imports
 * included, or when anything but edge/index.ts imports edge/app.ts.
 * TypeScript's own import scanner reads the files, so nothing is bundled.
 *
 *   node scripts/check-cycles.ts [dir ...]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['edge'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** Relative imports of one file, resolved to files that exist. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name))
    .filter((path) => existsSync(path));
}

const files = dirs.flatMap((dir) => sourceFiles(resolve(root, dir)));
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Strongly connected components (Tarjan): any with more than one file, or a self-import, is a cycle. */
function cycles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  function visit(file: string): void {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component);
    }
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

const problems: string[] = cycles().map(
  (component) => `import cycle: ${component.map((f) => relative(root, f)).join(' <-> ')}`,
);
const app = resolve(root, 'edge/app.ts');
const entry = resolve(root, 'edge/index.ts');
for (const [file, imports] of graph) {
  if (file !== entry && imports.includes(app)) {
    problems.push(`${relative(root, file)} imports edge/app.ts: only edge/index.ts may`);
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`no import cycles among ${graph.size} modules in ${dirs.join(', ')}`);
