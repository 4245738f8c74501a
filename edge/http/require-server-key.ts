/**
 * @module
 * Guards operator routes (`/status`, `/dead-letters`, `/events/verify`): only
 * a caller with `Authorization: Bearer SERVER_KEY` gets through; anyone else
 * gets a 401 in X's shape, the same whether or not a key was presented.
 */
import type { MiddlewareHandler } from 'hono';
import { XApiError } from '../errors.ts';
import { type AppEnv, requireConfig } from './context.ts';
import { checkCaller } from './server-auth.ts';

/**
 * Middleware: the request must carry the server key.
 *
 * @example
 * app.get('/status', requireServerKey(), (c) => c.json(status));
 */
export function requireServerKey(): MiddlewareHandler<AppEnv> {
  return async function requireServerKey(c, next) {
    const config = requireConfig(c);
    c.header('Cache-Control', 'no-store');
    const check = await checkCaller(c.req.header('authorization'), config);
    if (!check.ok) throw check.error;
    // Kept for the route: a pixel's own key reads that pixel only (./pixel-scope.ts).
    c.set('caller', check);
    if (check.caller !== 'server') {
      throw new XApiError(
        401,
        { code: 'UNAUTHORIZED', message: 'This route needs Authorization: Bearer SERVER_KEY' },
        { 'WWW-Authenticate': 'Bearer realm="x-capi-edge"' },
      );
    }
    await next();
  };
}
