/**
 * Three test projects:
 * - `edge`: the Worker's own code inside workerd (Cloudflare's vitest plugin),
 *   with the fake X API running as a real HTTP server on 127.0.0.1 (global setup).
 * - `node`: plain Node tests (the fake X API itself, the build, tooling).
 * - `browser`: the built browser script in a real Chromium against a running edge.
 */
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_ACCOUNT } from './test/fake-x/test-account.ts';

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                X_API_BASE_URL: inject<string>('fakeXUrl'),
                X_PIXEL_ID: TEST_ACCOUNT.pixelId,
                X_EVENTS: JSON.stringify(TEST_ACCOUNT.events),
                ALLOWED_ORIGINS: 'https://shop.example',
                X_CONSUMER_KEY: TEST_ACCOUNT.consumerKey,
                X_CONSUMER_SECRET: TEST_ACCOUNT.consumerSecret,
                X_ACCESS_TOKEN: TEST_ACCOUNT.accessToken,
                X_ACCESS_TOKEN_SECRET: TEST_ACCOUNT.accessTokenSecret,
                SERVER_KEY: TEST_ACCOUNT.serverKey,
                QUEUE_SEAL_KEY: TEST_ACCOUNT.queueSealKey,
                // Browser copies go at once: tests that need the hold set it themselves.
                BROWSER_HOLD_SECONDS: '0',
                // /health reads the ledger each time: tests check state changes seconds apart.
                HEALTH_CACHE_SECONDS: '0',
                // Delivery retries after a 5xx come back at once instead of after 5 s, 10 s, ...
                RETRY_BASE_SECONDS: '0',
                // Property tests' seed: FC_SEED replays a failure; CI is fixed (a landing must
                // not depend on luck), local runs explore a new seed each time.
                FC_SEED:
                  process.env.FC_SEED ??
                  (process.env.CI ? '20261128' : String(Date.now() % 2 ** 31)),
              },
              // Shared by every test file: buckets keyed on the pixel or on "no address"
              // would fill up across files and turn unrelated calls into 429s.
              // test/edge/trust-rate-limit.test.ts checks them with their own bindings.
              ratelimits: {
                BROWSER_NO_ADDRESS_LIMITER: {
                  namespace_id: '1004',
                  simple: { limit: 1_000_000, period: 60 },
                },
                BROWSER_PIXEL_RATE_LIMITER: {
                  namespace_id: '1005',
                  simple: { limit: 1_000_000, period: 60 },
                },
              },
            },
          })),
        ],
        test: {
          name: 'edge',
          include: ['edge/**/*.test.ts', 'test/edge/**/*.test.ts'],
          globalSetup: ['./test/fake-x/global-setup.ts', './test/site-origin/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'test/node/**/*.test.ts',
            'test/fake-x/**/*.test.ts',
            'client/**/*.test.ts',
            'bench/**/*.test.ts',
            'cli/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // One Chromium and one edge for the whole project; files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
