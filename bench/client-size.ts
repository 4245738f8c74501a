/**
 * @module
 * Browser script size: raw, gzip (level 9) and brotli (quality 11) bytes of
 * the built outputs and of installed peers (Plausible's tracker, js-cookie),
 * all measured here the same way with Node's zlib, next to the published
 * figure of X's own tag (not measured here: no internet).
 */
import { readFile } from 'node:fs/promises';
// Importing the build runs nothing: it builds only when run as a script.
import { gzipBytes, IIFE_GZIP_BUDGET, measure, type OutputSize } from '../scripts/build-client.ts';
import { SHOP_ORIGIN } from '../test/rig/beacon.ts';
import { PLAUSIBLE_FILE, plausibleScript, plausibleVersion } from './lib/plausible.ts';

/** The outputs `npm run build` writes, in the order they are reported. */
export const CLIENT_OUTPUTS = [
  'dist/xcapi.js',
  'dist/client.mjs',
  'dist/xcapi-datalayer.js',
] as const;

export interface PublishedSize {
  tracker: string;
  /** As published, with its unit: these are not byte counts measured here. */
  figure: string;
  source: string;
}

/** A peer's file from node_modules, measured like ours. */
export interface PeerSize extends OutputSize {
  tracker: string;
  /** What the file is, and how it relates to what a site serves. */
  note: string;
}

export interface ClientSize {
  files: OutputSize[];
  /** Installed peers, measured here. */
  peers: PeerSize[];
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
    source: 'published size; not measured here',
  },
];

/** js-cookie's minified browser build, as installed. */
const JS_COOKIE_FILE = 'node_modules/js-cookie/dist/js.cookie.min.js';

async function measurePeers(): Promise<PeerSize[]> {
  const version = await plausibleVersion();
  const bundled = await plausibleScript(SHOP_ORIGIN);
  return [
    {
      ...measure(PLAUSIBLE_FILE, await readFile(PLAUSIBLE_FILE)),
      tracker: `Plausible's tracker ${version}`,
      note: "the package's only browser build (ES module, minified), as installed",
    },
    {
      ...measure('Plausible IIFE (bench bundle)', new TextEncoder().encode(bundled)),
      tracker: `Plausible's tracker ${version}`,
      note: 'that file bundled by esbuild into a minified IIFE calling init(): what the main-thread bench loads',
    },
    {
      ...measure(JS_COOKIE_FILE, await readFile(JS_COOKIE_FILE)),
      tracker: 'js-cookie',
      note: 'the cookie library alone, minified UMD build, as installed',
    },
  ];
}

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
    peers: await measurePeers(),
    gzipBudget: IIFE_GZIP_BUDGET,
    withinBudget: iife !== undefined && gzipBytes(iife) <= IIFE_GZIP_BUDGET,
    published: [...PUBLISHED_TRACKER_SIZES],
  };
}
