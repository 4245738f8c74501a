/**
 * @module
 * `GET /health`: is the edge configured, and is delivery to X working?
 *
 * Anyone may ask (uptime monitors do), so the public answer is `ok` and the
 * delivery state only; with the server key it adds the pixel, the events
 * and their tags, configuration problems and whether it runs dry. `blocked`
 * (X refuses our credentials or pixel) answers 503 so a monitor pages
 * someone; `degraded` answers 200 with the reason. One Durable Object read.
 */
import { Hono } from 'hono';
import { settingsOf } from '../config.ts';
import { type DeliveryHealth, publicHealth } from '../delivery/delivery-health.ts';
import { ledgerOf } from '../delivery/ledger-stub.ts';
import type { AppEnv } from '../http/context.ts';
import { checkCaller } from '../http/server-auth.ts';
import { errorName, log } from '../log.ts';

export const healthRoute = new Hono<AppEnv>().get('/health', async function health(c) {
  const result = c.get('config');
  c.header('Cache-Control', 'no-store');
  const config = settingsOf(result);
  const caller = await checkCaller(c.req.header('authorization'), config.serverKey);
  if (!caller.ok) throw caller.error;
  const keyed = caller.caller === 'server';

  if (!result.ok) {
    const delivery: DeliveryHealth = {
      state: 'blocked',
      since: new Date().toISOString(),
      reason: 'the edge is misconfigured',
    };
    return c.json({ ok: false, delivery, ...(keyed ? { problems: result.problems } : {}) }, 503);
  }

  let delivery: DeliveryHealth;
  try {
    const ledger = ledgerOf(c.env, result.config.pixelId);
    if (!ledger) throw new Error('DELIVERY_LEDGER binding missing');
    delivery = await ledger.health();
  } catch (err) {
    log.warn('delivery state unavailable', { error: errorName(err) });
    delivery = {
      state: 'degraded',
      since: new Date().toISOString(),
      reason: 'delivery state unavailable',
    };
  }
  const ok = delivery.state !== 'blocked';
  if (!keyed) return c.json({ ok, delivery: publicHealth(delivery) }, ok ? 200 : 503);
  const body = { ok, delivery };
  const { config: valid } = result;
  return c.json(
    {
      ...body,
      pixel_id: valid.pixelId,
      events: { ...valid.events },
      problems: [],
      api_version: valid.apiVersion,
      // Only the kind of credential, never its value.
      auth: valid.credentials.kind === 'none' ? 'dry-run' : valid.credentials.kind,
      dry_run: valid.credentials.kind === 'none',
    },
    ok ? 200 : 503,
  );
});
