/**
 * @module
 * What every request carries on its Hono context: the Worker's bindings, the
 * configuration parsed once per isolate, and who is calling (./caller.ts).
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type ConfigResult, configFor, type EdgeConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { XApiError } from '../errors.ts';
import type { CallerCheck } from './server-auth.ts';

/** Hono typing shared by every route and middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** The configuration, valid or not: routes that need it valid call `requireConfig`. */
    config: ConfigResult;
    /** Set by `identifyCaller` on the routes that take both browser and server calls. */
    caller: CallerCheck;
  };
}

/**
 * Puts the parsed configuration on the context, read as `c.get('config')`
 * (`c.var` copies every variable into a new object on each read).
 */
export const attachConfig = createMiddleware<AppEnv>(async function attachConfig(c, next) {
  c.set('config', configFor(c.env ?? {}));
  await next();
});

/** The valid configuration, or a 503 in X's shape naming what to fix. */
export function requireConfig(c: Context<AppEnv>): EdgeConfig {
  const result = c.get('config');
  if (result.ok) return result.config;
  throw new XApiError(503, {
    code: 'SERVICE_UNAVAILABLE',
    message: `x-capi-edge is misconfigured: ${result.problems.join('; ')}`,
  });
}
