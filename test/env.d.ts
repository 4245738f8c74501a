// Types for tests: what global setup provides, and the Worker's env and exports
// as `cloudflare:workers` / `cloudflare:test` see them.
import type { Env as EdgeEnv } from '../edge/env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the fake X API started by test/fake-x/global-setup.ts. */
    fakeXUrl: string;
    /** Base URL of the shop origin started by test/site-origin/global-setup.ts. */
    siteOriginUrl: string;
  }
}

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import('../edge/index.ts');
    }
    interface Env extends EdgeEnv {
      /** Seed of the property-based tests (vitest.config.ts). */
      FC_SEED?: string;
    }
  }
}
