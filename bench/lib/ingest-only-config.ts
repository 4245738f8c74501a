/**
 * @module
 * The edge's own wrangler.toml for the ingest benchmark, minus its queue
 * consumers: the same Worker, bindings and settings, but nothing drains the
 * delivery queue while the load runs, so the CPU measured is ingest's alone,
 * as for the minimal-ingest baseline (whose queue has no consumer either).
 * Delivery has its own benchmark (bench/delivery.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * The TOML text without its `[[queues.consumers]]` tables, with `main` made
 * absolute so the copy can live in another directory.
 *
 * @example
 * withoutQueueConsumers(toml, '/repo').includes('[[queues.consumers]]'); // false
 */
export function withoutQueueConsumers(toml: string, configDir: string): string {
  const kept: string[] = [];
  let skipping = false;
  for (const line of toml.split('\n')) {
    const header = /^\s*\[/.test(line);
    if (header) skipping = /^\s*\[\[queues\.consumers\]\]/.test(line);
    if (skipping) continue;
    const main = /^main\s*=\s*"([^"]+)"/.exec(line);
    kept.push(main ? `main = ${JSON.stringify(resolve(configDir, main[1] as string))}` : line);
  }
  return kept.join('\n');
}

/**
 * Writes the ingest-only copy of `config` under `dir` and returns its path.
 */
export async function writeIngestOnlyConfig(config: string, dir: string): Promise<string> {
  const text = await readFile(config, 'utf8');
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'edge-ingest-only.wrangler.toml');
  await writeFile(path, withoutQueueConsumers(text, resolve(config, '..')));
  return path;
}
