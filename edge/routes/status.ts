/**
 * @module
 * What happened after the 202, for the operator (server key):
 * - `GET /status`: per event, for the last hour and 24 hours, accepted / sent /
 *   waiting (by reason) / dead-lettered and identifier coverage (the stand-in
 *   for match quality, which X does not show); the rate budget; the last X
 *   error; an hourly series for the chart.
 * - `GET /status/conversions/:conversion_id` (`?event=name`): one conversion.
 * - `GET /status/`: the page that shows the JSON (./status-page.ts).
 * Counts and the budget live in the pixel's `DeliveryLedger`.
 */
import { Hono } from 'hono';
import type { EdgeConfig } from '../config.ts';
import { requireLedger } from '../delivery/ledger-stub.ts';
import type { Env } from '../env.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import { scopeToPixel, visibleViews } from '../http/pixel-scope.ts';
import { requireServerKey } from '../http/require-server-key.ts';
import { CONVERSION_ID, CONVERSION_ID_RULE } from '../ingest/event-schema.ts';
import { budgetShare, pixelNamed } from '../pixels/pixel-routing.ts';
import { STATUS_PAGE } from './status-page.ts';

/** One pixel's delivery counts, budget and last error. */
async function statusOf(env: Env, config: EdgeConfig, view: EdgeConfig) {
  const pixel: { account?: string } = pixelNamed(view, view.pixelId) ?? {};
  const ledger = await requireLedger(env, view.pixelId).status(
    Date.now(),
    budgetShare(config, pixel),
  );
  const { budget } = ledger;
  return {
    pixel_id: view.pixelId,
    delivery: ledger.delivery,
    windows: ledger.windows,
    budget: {
      ...(pixel.account === undefined ? {} : { account: pixel.account }),
      limit: budget.limit,
      used: budget.used,
      window_seconds: budget.windowSeconds,
      resets_at: budget.resetsAt === null ? null : new Date(budget.resetsAt).toISOString(),
    },
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
    const statuses = await Promise.all(views.map((view) => statusOf(c.env, config, view)));
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
