/**
 * @module
 * The Hono app: configuration, routes under `BASE_PATH`, and one error handler.
 * `BASE_PATH` is a runtime variable, so one app is built per distinct base path
 * (in practice one per isolate) and reused.
 */
import { Hono } from 'hono';
import { type ConfigResult, type EdgeConfig, parseConfig } from './config.ts';
import { demoRoute } from './demo/demo-pages.ts';
import type { Env } from './env.ts';
import { handleError, handleNotFound, XApiError } from './errors.ts';
import { clickRoute } from './routes/click.ts';
import { deadLettersRoute } from './routes/dead-letters.ts';
import { eventsRoute } from './routes/events.ts';
import { healthRoute } from './routes/health.ts';
import { scriptRoute } from './routes/script.ts';
import { statusRoute } from './routes/status.ts';
import { verifyRoute } from './routes/verify.ts';

/** Hono typing shared by every route module. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** The parsed configuration, valid or not (routes that need it call `requireConfig`). */
    configResult: ConfigResult;
  };
}

const configCache = new WeakMap<Env, ConfigResult>();

/** Parses (once per env object) and logs configuration problems once. */
export function configFor(env: Env): ConfigResult {
  let result = configCache.get(env);
  if (!result) {
    result = parseConfig(env);
    if (!result.ok) {
      console.error(JSON.stringify({ msg: 'configuration problems', problems: result.problems }));
    }
    configCache.set(env, result);
  }
  return result;
}

/** The valid configuration, or a 503 in X's shape naming what to fix. */
export function requireConfig(result: ConfigResult): EdgeConfig {
  if (result.ok) return result.config;
  throw new XApiError(503, {
    code: 'SERVICE_UNAVAILABLE',
    message: `x-capi-edge is misconfigured: ${result.problems.join('; ')}`,
  });
}

/** Builds the app for one base path (`''` or e.g. `/xcapi`). */
export function createApp(basePath: string): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
    .route('/', healthRoute)
    .route('/', statusRoute)
    .route('/', deadLettersRoute)
    .route('/', verifyRoute)
    .route('/', eventsRoute)
    .route('/', clickRoute)
    .route('/', scriptRoute)
    .route('/', demoRoute);

  const app = new Hono<AppEnv>();
  app.use('*', async function attachConfig(c, next) {
    c.set('configResult', configFor(c.env ?? {}));
    await next();
  });
  app.route(basePath || '/', routes);
  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}

const apps = new Map<string, Hono<AppEnv>>();

/** The app for this env's `BASE_PATH`, built once and reused. */
export function appFor(env: Env): Hono<AppEnv> {
  const result = configFor(env);
  const basePath = result.ok ? result.config.basePath : (result.partial.basePath ?? '');
  let app = apps.get(basePath);
  if (!app) {
    app = createApp(basePath);
    apps.set(basePath, app);
  }
  return app;
}
