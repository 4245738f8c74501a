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
import { requireLedger } from '../delivery/ledger-stub.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import { requireServerKey } from '../http/require-server-key.ts';
import { CONVERSION_ID, CONVERSION_ID_RULE } from '../ingest/event-schema.ts';
import { STATUS_PAGE } from './status-page.ts';

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
    const { pixelId } = requireConfig(c);
    const ledger = await requireLedger(c.env, pixelId).status();
    const { budget } = ledger;
    return c.json({
      pixel_id: pixelId,
      delivery: ledger.delivery,
      windows: ledger.windows,
      budget: {
        limit: budget.limit,
        used: budget.used,
        window_seconds: budget.windowSeconds,
        resets_at: budget.resetsAt === null ? null : new Date(budget.resetsAt).toISOString(),
      },
      last_error: ledger.last_error,
      hourly: ledger.hourly,
    });
  })
  .get('/status/conversions/:conversion_id', requireServerKey(), async function conversion(c) {
    const { pixelId } = requireConfig(c);
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
