/**
 * @module
 * Who is calling, decided once per request: the rate limit and the route both
 * need to know, and checking the bearer key costs two SHA-256 digests.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './context.ts';
import { type Caller, checkCaller } from './server-auth.ts';

/** Sets `c.get('caller')` from the `Authorization` header; a wrong key is kept, not thrown, here. */
export const identifyCaller = createMiddleware<AppEnv>(async function identifyCaller(c, next) {
  const result = c.get('config');
  const keys = result.ok ? result.config : { serverKey: undefined, pixels: [] };
  c.set('caller', await checkCaller(c.req.header('authorization'), keys));
  await next();
});

/** The caller, or the 401 its bearer key earned. */
export function requireCaller(c: Context<AppEnv>): Caller {
  const check = c.get('caller');
  if (check.ok) return check.caller;
  throw check.error;
}
