/**
 * @module
 * Browser script size: raw, gzip (level 9) and brotli (quality 11) bytes of
 * the built outputs, measured here with Node's zlib, next to the few published
 * figures for other trackers we can cite (not measured here: no internet).
 */
import { readFile } from 'node:fs/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** The IIFE's gzip budget (scripts/build-client.ts enforces the same number). */
export const CLIENT_GZIP_BUDGET = 1536;

/** The outputs `npm run build` writes, in the order they are reported. */
export const CLIENT_OUTPUTS = ['dist/xcapi.js', 'dist/client.mjs'] as const;

export interface FileSize {
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

export interface PublishedSize {
  tracker: string;
  /** As published, with its unit: these are not byte counts measured here. */
  figure: string;
  source: string;
}

export interface ClientSize {
  files: FileSize[];
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
 * Raw, gzip -9 and brotli (quality 11) byte counts of one buffer.
 *
 * @example
 * compressedSizes('x.js', new TextEncoder().encode('console.log(1)'));
 * // { file: 'x.js', raw: 14, gzip: 34, brotli: 18 }
 */
export function compressedSizes(file: string, bytes: Uint8Array): FileSize {
  return {
    file,
    raw: bytes.byteLength,
    gzip: gzipSync(bytes, { level: 9 }).byteLength,
    brotli: brotliCompressSync(bytes, {
      // Maximum quality, default (generic) mode: the same settings as the build's
      // own size line, so the two never disagree.
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY },
    }).byteLength,
  };
}

/**
 * Sizes of the built browser outputs (run `npm run build` first).
 *
 * @example
 * const { files, withinBudget } = await measureClientSize();
 */
export async function measureClientSize(): Promise<ClientSize> {
  const files = await Promise.all(
    CLIENT_OUTPUTS.map(async (file) => compressedSizes(file, await readFile(file))),
  );
  const iife = files[0];
  return {
    files,
    gzipBudget: CLIENT_GZIP_BUDGET,
    withinBudget: iife !== undefined && iife.gzip <= CLIENT_GZIP_BUDGET,
    published: [...PUBLISHED_TRACKER_SIZES],
  };
}
