/**
 * @module
 * `GET /health`: is the edge configured, and how will it deliver? Never a secret.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/context.ts';

export const healthRoute = new Hono<AppEnv>().get('/health', function health(c) {
  const result = c.var.config;
  c.header('Cache-Control', 'no-store');
  if (!result.ok) {
    return c.json({ ok: false, problems: result.problems }, 503);
  }
  const { config } = result;
  return c.json({
    ok: true,
    pixel_id: config.pixelId,
    events: Object.keys(config.events),
    api_version: config.apiVersion,
    // Only the kind of credential, never its value.
    auth: config.credentials.kind === 'none' ? 'dry-run' : config.credentials.kind,
    dry_run: config.credentials.kind === 'none',
  });
});
