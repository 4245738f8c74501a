/**
 * @module
 * `GET /health`: is the edge configured, and is delivery to X working?
 *
 * Anyone may ask (uptime monitors do), so the public answer is `ok` and the
 * delivery state only (with several pixels: the worst one's, and each pixel's); with the server key it adds the pixel, the events
 * and their tags, configuration problems and whether it runs dry. `blocked`
 * (X refuses our credentials or pixel) answers 503 so a monitor pages
 * someone; `degraded` answers 200 with the reason. One Durable Object read,
 * which an anonymous caller shares with every other for `HEALTH_CACHE_SECONDS`
 * per isolate: the route is public and unthrottled, the ledger is one object
 * per pixel. The server key always reads it fresh (and refreshes the share).
 */
import { Hono } from 'hono';
import { type EdgeConfig, settingsOf } from '../config.ts';
import { type DeliveryHealth, publicHealth } from '../delivery/delivery-health.ts';
import { ledgerOf } from '../delivery/ledger-stub.ts';
import type { Env } from '../env.ts';
import type { AppEnv } from '../http/context.ts';
import { checkCaller } from '../http/server-auth.ts';
import { errorName, log } from '../log.ts';
import { serverPixel, visiblePixels } from '../pixels/pixel-routing.ts';

/** Per pixel: the last read of the delivery state (a promise, so a burst shares one read). */
const lastRead = new Map<string, { at: number; delivery: Promise<DeliveryHealth> }>();

async function readDelivery(env: Env, pixelId: string): Promise<DeliveryHealth> {
  try {
    const ledger = ledgerOf(env, pixelId);
    if (!ledger) throw new Error('DELIVERY_LEDGER binding missing');
    return await ledger.health();
  } catch (err) {
    log.warn('delivery state unavailable', { error: errorName(err) });
    return {
      state: 'degraded',
      since: new Date().toISOString(),
      reason: 'delivery state unavailable',
    };
  }
}

/** The delivery state, read again when `fresh` or once the last read is `maxAgeMs` old. */
function cachedDelivery(
  env: Env,
  pixelId: string,
  maxAgeMs: number,
  fresh: boolean,
): Promise<DeliveryHealth> {
  const now = Date.now();
  const last = lastRead.get(pixelId);
  if (!fresh && last && now - last.at < maxAgeMs) return last.delivery;
  const delivery = readDelivery(env, pixelId);
  lastRead.set(pixelId, { at: now, delivery });
  return delivery;
}

const SEVERITY: Record<DeliveryHealth['state'], number> = { ok: 0, degraded: 1, blocked: 2 };

/** With several pixels, the state of the worst, its reason naming the pixel. */
function worstOf(states: { pixelId: string; delivery: DeliveryHealth }[]): DeliveryHealth {
  const [first, ...rest] = states;
  if (!first) return { state: 'ok', since: new Date().toISOString(), reason: null };
  if (rest.length === 0) return first.delivery;
  let worst = first;
  for (const entry of rest) {
    if (SEVERITY[entry.delivery.state] > SEVERITY[worst.delivery.state]) worst = entry;
  }
  const { delivery } = worst;
  return delivery.reason === null
    ? delivery
    : { ...delivery, reason: `pixel ${worst.pixelId}: ${delivery.reason}` };
}

/** Only the kind of credential, never its value. */
function authOf(config: Pick<EdgeConfig, 'credentials'>) {
  const { kind } = config.credentials;
  return { auth: kind === 'none' ? 'dry-run' : kind, dry_run: kind === 'none' };
}

export const healthRoute = new Hono<AppEnv>().get('/health', async function health(c) {
  const result = c.get('config');
  c.header('Cache-Control', 'no-store');
  const config = settingsOf(result);
  const caller = await checkCaller(c.req.header('authorization'), config);
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

  const { config: valid } = result;
  // The server key sees every pixel it may read, or the one `?pixel=` names.
  const named = c.req.query('pixel');
  const pixels = !keyed
    ? valid.pixels
    : named
      ? [serverPixel(valid, named, caller.pixel)]
      : visiblePixels(valid, caller.pixel);
  const states = await Promise.all(
    pixels.map(async (pixel) => ({
      pixel,
      pixelId: pixel.id,
      delivery: await cachedDelivery(c.env, pixel.id, valid.healthCacheSeconds * 1000, keyed),
    })),
  );
  const delivery = worstOf(states);
  const ok = delivery.state !== 'blocked';
  if (!keyed) {
    const several = valid.pixels.length > 1;
    const perPixel = states.map((s) => ({
      pixel_id: s.pixelId,
      delivery: publicHealth(s.delivery),
    }));
    return c.json(
      { ok, delivery: publicHealth(delivery), ...(several ? { pixels: perPixel } : {}) },
      ok ? 200 : 503,
    );
  }
  const [only] = states;
  if (only && states.length === 1) {
    // One pixel shown: the one-pixel answer.
    return c.json(
      {
        ok,
        delivery,
        pixel_id: only.pixelId,
        events: { ...only.pixel.events },
        problems: [],
        api_version: valid.apiVersion,
        ...authOf(only.pixel),
      },
      ok ? 200 : 503,
    );
  }
  return c.json(
    {
      ok,
      delivery,
      pixels: states.map((s) => ({
        pixel_id: s.pixelId,
        ...(s.pixel.account === undefined ? {} : { account: s.pixel.account }),
        events: { ...s.pixel.events },
        origins: s.pixel.origins,
        ...authOf(s.pixel),
        delivery: s.delivery,
      })),
      problems: [],
      api_version: valid.apiVersion,
    },
    ok ? 200 : 503,
  );
});
