/**
 * @module
 * The Worker's entry point: HTTP through the Hono app.
 */
import { appFor } from './app.ts';
import type { Env } from './env.ts';

export default {
  fetch(request, env, ctx) {
    return appFor(env).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
