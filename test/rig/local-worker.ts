/**
 * @module
 * Starts a Worker in local workerd the way `wrangler dev` does (wrangler's
 * dev environment, as behind `unstable_startWorker`: its own esbuild
 * bundling, nodejs_compat, local queues and Durable Objects from the config),
 * on 127.0.0.1 and free ports, with no inspector, no file watching and state
 * in a throwaway directory.
 *
 * `wrangler dev` puts a proxy Worker (a Durable Object in a second workerd
 * world) in front of the user Worker so it can hold requests during reloads.
 * On a 2-core machine that hop more than halves a bare Worker's throughput,
 * so `url` is the user Worker's own address (Miniflare's entry socket, as a
 * plain Miniflare would serve it), taken from the dev environment's
 * `reloadComplete` event; `proxyUrl` is what `wrangler dev` would print.
 * The browser tests use `proxyUrl` with `origin`: only the proxy rewrites
 * request URLs to the origin a Worker would see behind Cloudflare.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { unstable_DevEnv } from 'wrangler';

export interface LocalWorker {
  /** The user Worker's own base URL, e.g. `http://127.0.0.1:41233/`. */
  url: URL;
  /** The same Worker behind wrangler's dev proxy. */
  proxyUrl: URL;
  close(): Promise<void>;
}

export interface LocalWorkerOptions {
  /** Path of the wrangler config (its `main` is the entry point). */
  config: string;
  /** Plain-text variables and secrets, overriding the config's `[vars]`. */
  vars?: Record<string, string>;
  /** Parent of the throwaway state directory (gitignored `.bench-tmp`). */
  stateParent?: string;
  /**
   * The origin the Worker sees in requests that come through `proxyUrl`
   * (wrangler's `dev.origin`); requests to `url` keep the listening address.
   */
  origin?: { secure: boolean; hostname: string };
}

/** The part of wrangler's `reloadComplete` event read here (its types are not published). */
interface ReloadCompleteEvent {
  proxyData: { userWorkerUrl: { protocol: string; hostname: string; port: string } };
}

/** How long a Worker may take to bundle and start before the run gives up. */
const START_TIMEOUT_MS = 60_000;

function rejectAfter(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms).unref();
  });
}

/**
 * Starts the Worker and resolves once it answers on its URL.
 *
 * @example
 * const edge = await startLocalWorker({ config: 'wrangler.toml', vars: { X_PIXEL_ID: 'o9d7n' } });
 * try { await fetch(new URL('/health', edge.url)); } finally { await edge.close(); }
 */
export async function startLocalWorker({
  config,
  vars = {},
  stateParent = '.bench-tmp',
  origin,
}: LocalWorkerOptions): Promise<LocalWorker> {
  // Offline machine: skip the fetch of Cloudflare's sample `request.cf`
  // object and wrangler's telemetry instead of waiting for them to fail.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';

  await mkdir(stateParent, { recursive: true });
  const stateDir = await mkdtemp(join(stateParent, 'wrangler-state-'));
  const bindings = Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text', value }]),
  );
  const devEnv = new unstable_DevEnv();
  const reloaded = new Promise<URL>((resolve) => {
    devEnv.once('reloadComplete', (event: ReloadCompleteEvent) => {
      const { protocol, hostname, port } = event.proxyData.userWorkerUrl;
      resolve(new URL(`${protocol}//${hostname}:${port}/`));
    });
  });
  const worker = await devEnv.startWorker({
    config,
    bindings,
    // No `[build]` command: the callers built once already (`npm test`, `npm run bench`),
    // and a rebuild per Worker would rewrite files other test processes are reading.
    build: { custom: { command: '' } },
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      origin,
      inspector: false,
      watch: false,
      logLevel: 'none',
      persist: stateDir,
    },
  });
  const close = async () => {
    await worker.dispose();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const timeout = rejectAfter(START_TIMEOUT_MS, `starting ${config}`);
    await Promise.race([worker.ready, timeout]);
    const url = await Promise.race([reloaded, timeout]);
    return { url, proxyUrl: await worker.url, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
