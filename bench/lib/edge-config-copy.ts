/**
 * @module
 * Copies of the edge's own wrangler.toml for benchmarks, read and written
 * with smol-toml: the same Worker, bindings and settings, changed only where
 * a benchmark needs it.
 *
 * - Ingest only (bench/ingest-throughput.ts): no queue consumers, so nothing
 *   drains the delivery queue while the load runs and the CPU measured is
 *   ingest's alone, as for the minimal-ingest baseline (whose queue has no
 *   consumer either). Delivery has its own benchmark (bench/delivery.ts).
 * - Metered (bench/cost.ts): another entry point, bench/cost-worker.ts, which
 *   wraps the edge's handlers and Durable Objects to count what Cloudflare bills.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify, type TomlTable } from 'smol-toml';

/** How a copy differs from the original. */
export interface ConfigChange {
  /** Drop every `[[queues.consumers]]` table. */
  withoutQueueConsumers?: boolean;
  /** Another entry point (relative to the original's directory). */
  main?: string;
}

/**
 * The TOML text changed as asked, with `main` made absolute so the copy can
 * live in another directory.
 *
 * @example
 * configCopy(toml, '/repo', { withoutQueueConsumers: true }).includes('[[queues.consumers]]'); // false
 */
export function configCopy(toml: string, configDir: string, change: ConfigChange): string {
  const config = parse(toml);
  const main = change.main ?? config.main;
  if (typeof main !== 'string') throw new Error('the wrangler config has no `main`');
  config.main = resolve(configDir, main);
  const queues = config.queues as TomlTable | undefined;
  if (change.withoutQueueConsumers && queues) delete queues.consumers;
  return stringify(config);
}

/** Writes a changed copy of `config` as `dir/name` and returns its path. */
export async function writeConfigCopy(
  config: string,
  dir: string,
  name: string,
  change: ConfigChange,
): Promise<string> {
  const text = await readFile(config, 'utf8');
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, configCopy(text, resolve(config, '..'), change));
  return path;
}
