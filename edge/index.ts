/**
 * @module
 * The Worker's entry point: HTTP through the Hono app, and the `RateBudget`
 * Durable Object class (one per pixel, see edge/delivery/rate-budget.ts).
 */
import { appFor } from './app.ts';
import type { Env } from './env.ts';

export { RateBudget } from './delivery/rate-budget.ts';

export default {
  fetch(request, env, ctx) {
    return appFor(env).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
