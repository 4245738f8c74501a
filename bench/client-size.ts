/**
 * @module
 * Browser script size: raw, gzip (level 9) and brotli (quality 11) bytes of
 * the built outputs, measured here with Node's zlib, next to the few published
 * figures for other trackers we can cite (not measured here: no internet).
 */
import { readFile } from 'node:fs/promises';
// Importing the build runs nothing: it builds only when run as a script.
import { IIFE_GZIP_BUDGET, measure, type OutputSize } from '../scripts/build-client.ts';

/** The outputs `npm run build` writes, in the order they are reported. */
export const CLIENT_OUTPUTS = ['dist/xcapi.js', 'dist/client.mjs'] as const;

export interface PublishedSize {
  tracker: string;
  /** As published, with its unit: these are not byte counts measured here. */
  figure: string;
  source: string;
}

export interface ClientSize {
  files: OutputSize[];
  gzipBudget: number;
  /** Whether dist/xcapi.js fits its gzip budget. */
  withinBudget: boolean;
  published: PublishedSize[];
}

/**
 * Published figures only, with where they come from. Nothing else is cited:
 * a number we cannot source does not go in BENCHMARKS.md.
 */
export const PUBLISHED_TRACKER_SIZES: readonly PublishedSize[] = [
  {
    tracker: "X's Universal Website Tag (uwt.js)",
    figure: 'about 13.5 KB gzip',
    source: 'the x-capi-edge issue tracker; not measured here',
  },
  {
    tracker: "Plausible's script",
    figure: 'about 1.9 KB',
    source: 'the x-capi-edge issue tracker; not measured here',
  },
];

/**
 * Sizes of the built browser outputs (run `npm run build` first), measured
 * with the build's own `measure`, so the bench and the build's size line agree.
 *
 * @example
 * const { files, withinBudget } = await measureClientSize();
 */
export async function measureClientSize(): Promise<ClientSize> {
  const files = await Promise.all(
    CLIENT_OUTPUTS.map(async (file) => measure(file, await readFile(file))),
  );
  const iife = files[0];
  return {
    files,
    gzipBudget: IIFE_GZIP_BUDGET,
    withinBudget: iife !== undefined && iife.gzip <= IIFE_GZIP_BUDGET,
    published: [...PUBLISHED_TRACKER_SIZES],
  };
}
