/**
 * @module
 * Runs the real edge Worker in local workerd (test/rig/local-worker.ts: the
 * project's wrangler.toml with its local queues and Durable Objects) on
 * 127.0.0.1 and a free port, seeing every request as `https://shop.example`, the
 * way Cloudflare would in front of the shop: so `Set-Cookie` gets `Secure`.
 */
import { startLocalWorker } from '../rig/local-worker.ts';

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
  const worker = await startLocalWorker({
    config: 'wrangler.toml',
    vars,
    origin: { secure: true, hostname: 'shop.example' },
  });
  // Through wrangler's dev proxy: it is what rewrites the URL the Worker sees
  // to the shop's https origin (the direct `url` would be seen as http://127.0.0.1).
  return { url: worker.proxyUrl.origin, close: worker.close };
}
