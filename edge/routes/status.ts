/**
 * @module
 * What happened after the 202, for the operator (server key):
 * - `GET /status`: per event, for the last hour and 24 hours, accepted / sent /
 *   waiting (by reason) / dead-lettered and identifier coverage (the stand-in
 *   for match quality, which X does not show); the rate budget; the last X
 *   error; an hourly series for the chart.
 * - `GET /status/conversions/:conversion_id` (`?event=name`): one conversion.
 * - `GET /status/`: the page that shows the JSON (./status-page.ts).
 * Counts live in the pixel's `DeliveryLedger`, the budget in its `RateBudget`.
 */
import { Hono } from 'hono';
import type { EdgeConfig, PixelConfig } from '../config.ts';
import { requireLedger } from '../delivery/ledger-stub.ts';
import type { Env } from '../env.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import { scopeToPixel, visibleViews } from '../http/pixel-scope.ts';
import { requireServerKey } from '../http/require-server-key.ts';
import { CONVERSION_ID, CONVERSION_ID_RULE } from '../ingest/event-schema.ts';
import { pixelNamed, rateBudgetName } from '../pixels/pixel-routing.ts';
import { STATUS_PAGE } from './status-page.ts';

async function budgetOf(env: Env, pixel: Pick<PixelConfig, 'id' | 'account'>) {
  const ns = env.RATE_BUDGET;
  if (!ns) return null;
  const usage = await ns.get(ns.idFromName(rateBudgetName(pixel))).usage();
  return {
    ...(pixel.account === undefined ? {} : { account: pixel.account }),
    limit: usage.limit,
    used: usage.used,
    window_seconds: usage.windowSeconds,
    resets_at: usage.resetsAt === null ? null : new Date(usage.resetsAt).toISOString(),
  };
}

/** One pixel's delivery counts, budget and last error. */
async function statusOf(env: Env, view: EdgeConfig) {
  const pixel = pixelNamed(view, view.pixelId) ?? { id: view.pixelId };
  const [ledger, budget] = await Promise.all([
    requireLedger(env, view.pixelId).status(),
    budgetOf(env, pixel),
  ]);
  return {
    pixel_id: view.pixelId,
    delivery: ledger.delivery,
    windows: ledger.windows,
    budget,
    last_error: ledger.last_error,
    hourly: ledger.hourly,
  };
}

export const statusRoute = new Hono<AppEnv>()
  .get('/status/', function statusPage(c) {
    c.header('Cache-Control', 'no-store');
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; connect-src 'self'; img-src data:; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    );
    return c.html(STATUS_PAGE);
  })
  .get('/status', requireServerKey(), async function status(c) {
    const config = requireConfig(c);
    const views = c.req.query('pixel') ? [scopeToPixel(c)] : visibleViews(c, config);
    const statuses = await Promise.all(views.map((view) => statusOf(c.env, view)));
    // One pixel keeps the one-pixel answer; several are listed, each in that shape.
    return c.json(statuses.length === 1 ? statuses[0] : { pixels: statuses });
  })
  .get('/status/conversions/:conversion_id', requireServerKey(), async function conversion(c) {
    requireConfig(c);
    const { pixelId } = scopeToPixel(c);
    const id = c.req.param('conversion_id');
    if (!CONVERSION_ID.test(id)) {
      throw invalidParameter('conversion_id', CONVERSION_ID_RULE);
    }
    const event = c.req.query('event');
    const found = await requireLedger(c.env, pixelId).conversion(id, event || undefined);
    if (!found) {
      throw new XApiError(404, {
        code: 'NOT_FOUND',
        message: `conversion_id (${id}) is unknown: not accepted, not yet picked up by delivery, or older than 7 days`,
        parameter: 'conversion_id',
      });
    }
    const { waiting_reason, ...view } = found;
    return c.json({ ...view, ...(waiting_reason ? { waiting_reason } : {}) });
  });
