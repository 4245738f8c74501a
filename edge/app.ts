/**
 * @module
 * The Hono app: routes under `BASE_PATH` and one error handler. `BASE_PATH` is
 * a runtime variable, so one app is built per distinct base path (in practice
 * one per isolate) and reused.
 */
import { Hono } from 'hono';
import { siteOrNotFound } from './capture/site-capture.ts';
import { configFor, settingsOf } from './config.ts';
import { demoRoute } from './demo/demo-pages.ts';
import type { Env } from './env.ts';
import { type AppEnv, attachConfig } from './http/context.ts';
import { handleError } from './http/error-handler.ts';
import { clickRoute } from './routes/click.ts';
import { deadLettersRoute } from './routes/dead-letters.ts';
import { eventsRoute } from './routes/events.ts';
import { healthRoute } from './routes/health.ts';
import { scriptRoute } from './routes/script.ts';
import { statusRoute } from './routes/status.ts';
import { verifyRoute } from './routes/verify.ts';
import { webhookRoutes } from './webhooks/webhook-routes.ts';

/** Builds the app for one base path (`''` or e.g. `/xcapi`). */
export function createApp(basePath: string): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
    .route('/', healthRoute)
    .route('/', statusRoute)
    .route('/', deadLettersRoute)
    .route('/', verifyRoute)
    .route('/', eventsRoute)
    .route('/', webhookRoutes)
    .route('/', clickRoute)
    .route('/', scriptRoute)
    .route('/', demoRoute);

  const app = new Hono<AppEnv>();
  app.use('*', attachConfig);
  app.route(basePath || '/', routes);
  app.onError(handleError);
  app.notFound(siteOrNotFound);
  return app;
}

const apps = new Map<string, Hono<AppEnv>>();

/** The app for this env's `BASE_PATH`, built once and reused. */
export function appFor(env: Env): Hono<AppEnv> {
  const result = configFor(env);
  const { basePath } = settingsOf(result);
  let app = apps.get(basePath);
  if (!app) {
    app = createApp(basePath);
    apps.set(basePath, app);
  }
  return app;
}
