/**
 * @module
 * The deployed Worker's size against Cloudflare's limits, from the output of
 * `wrangler deploy --dry-run --outdir DIR`: prints raw and gzip bytes and exits
 * non-zero when the bundle would be refused.
 *
 *     node scripts/bundle-size.ts DIR
 *
 * Limits (developers.cloudflare.com/workers/platform/limits, "Worker size"):
 * 3 MiB after compression on the Workers Free plan, 10 MiB on Paid, and 64 MiB
 * before compression. The Free plan's figure is the one enforced here, so the
 * edge deploys on either plan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const MiB = 1024 * 1024;
export const FREE_PLAN_GZIP_LIMIT = 3 * MiB;
export const PAID_PLAN_GZIP_LIMIT = 10 * MiB;
export const RAW_LIMIT = 64 * MiB;

export interface BundleSize {
  raw: number;
  gzip: number;
}

/**
 * Raw and gzip bytes of the modules wrangler wrote (source maps and its README aside).
 *
 * @example
 * bundleSize('/tmp/out'); // { raw: 375773, gzip: 89071 }
 */
export function bundleSize(dir: string): BundleSize {
  const modules = readdirSync(dir).filter((f) => /\.(m?js|wasm|txt|bin|json)$/.test(f));
  if (modules.length === 0) throw new Error(`no Worker modules in ${dir}`);
  const bytes = Buffer.concat(modules.map((f) => readFileSync(join(dir, f))));
  return { raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength };
}

/** Why Cloudflare would refuse a bundle of this size, or undefined. */
export function bundleSizeProblem({ raw, gzip }: BundleSize): string | undefined {
  if (gzip > FREE_PLAN_GZIP_LIMIT) {
    return `the Worker is ${gzip} B gzip, over the Free plan's ${FREE_PLAN_GZIP_LIMIT} B`;
  }
  if (raw > RAW_LIMIT) return `the Worker is ${raw} B raw, over the ${RAW_LIMIT} B limit`;
  return undefined;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/bundle-size.ts DIR (the --outdir of wrangler deploy)');
    process.exit(2);
  }
  const size = bundleSize(dir);
  console.log(
    `worker bundle: ${size.raw} B raw (${kib(size.raw)}), ${size.gzip} B gzip (${kib(size.gzip)}); ` +
      `limits: ${kib(FREE_PLAN_GZIP_LIMIT)} gzip Free, ${kib(PAID_PLAN_GZIP_LIMIT)} gzip Paid, ${kib(RAW_LIMIT)} raw`,
  );
  const problem = bundleSizeProblem(size);
  if (problem) {
    console.error(`bundle size: ${problem}`);
    process.exit(1);
  }
}
