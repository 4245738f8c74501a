/**
 * @module
 * Runs the real edge Worker in local workerd (wrangler's `unstable_startWorker`,
 * the project's wrangler.toml with its local queues and Durable Objects) on
 * 127.0.0.1 and a free port, seeing every request as `https://shop.example`, the
 * way Cloudflare would in front of the shop: so `Set-Cookie` gets `Secure`.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { unstable_startWorker } from 'wrangler';

export interface EdgeWorker {
  /** Where the Worker listens, e.g. `http://127.0.0.1:41233`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the Worker with these variables and secrets (plain text bindings).
 *
 * @example
 * const edge = await startEdgeWorker({ X_PIXEL_ID: 'o9d7n', ALLOWED_ORIGINS: 'https://shop.example' });
 * await edge.close();
 */
export async function startEdgeWorker(vars: Record<string, string>): Promise<EdgeWorker> {
  // Offline machine: no fetch of Cloudflare's sample `request.cf`, no telemetry.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  await mkdir('.bench-tmp', { recursive: true });
  const state = await mkdtemp(join('.bench-tmp', 'browser-edge-'));
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    bindings: Object.fromEntries(
      Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text', value }]),
    ),
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      // The URL the Worker sees: the shop's own https origin.
      origin: { secure: true, hostname: 'shop.example' },
      inspector: false,
      watch: false,
      logLevel: 'none',
      persist: state,
    },
  });
  const close = async () => {
    await worker.dispose();
    await rm(state, { recursive: true, force: true });
  };
  try {
    await worker.ready;
    return { url: (await worker.url).origin, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
