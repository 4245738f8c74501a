/**
 * @module
 * Plausible's official tracker (`@plausible-analytics/tracker`), the measured
 * peer of the browser script. The package ships one browser build,
 * `plausible.js`, an ES module exporting `init` and `track`; a site bundles
 * it (or imports it) and calls `init({domain})`, which sends a pageview at
 * once. The bench loads it the way the script is loaded, one classic
 * `<script src>`: the package file bundled by esbuild into a minified IIFE
 * that calls `init`, nothing added but that call.
 */
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

/** The package's browser build, as installed (what a site's bundler or `<script type=module>` loads). */
export const PLAUSIBLE_FILE = 'node_modules/@plausible-analytics/tracker/plausible.js';

/** Where the page the bench loads sends Plausible's events (answered in-process). */
export const PLAUSIBLE_ENDPOINT_PATH = '/api/event';

/** The installed version, read from the package itself. */
export async function plausibleVersion(): Promise<string> {
  const manifest = await readFile('node_modules/@plausible-analytics/tracker/package.json', 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/**
 * The package file as a classic script for `origin`'s pages: bundled with
 * esbuild (minified IIFE, like `dist/xcapi.js`) with the one call a site
 * makes, `init({ domain, endpoint })`.
 */
export async function plausibleScript(origin: string): Promise<string> {
  const { hostname } = new URL(origin);
  const entry = `import { init } from '@plausible-analytics/tracker';
init({ domain: ${JSON.stringify(hostname)}, endpoint: ${JSON.stringify(`${origin}${PLAUSIBLE_ENDPOINT_PATH}`)} });`;
  const result = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no Plausible bundle');
  return output.text;
}
