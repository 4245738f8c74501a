/**
 * @module
 * Dead letters (server key): conversions given up on, kept 30 days by the
 * pixel's `DeliveryLedger` with the queue payload intact.
 * - `GET /dead-letters?event=&reason=&limit=&cursor=`: newest first, paged,
 *   without identifiers.
 * - `POST /dead-letters/redrive` with `{"conversion_ids": [...]}`,
 *   `{"event", "reason"}` or `{}` (all): back on the delivery queue, same
 *   conversion ids, so RateBudget's dedup keeps X from getting one twice.
 */
import { Hono } from 'hono';
import type { RedriveFilter } from '../delivery/delivery-ledger.ts';
import { requireLedger } from '../delivery/ledger-stub.ts';
import { isDeadLetterCursor } from '../delivery/ledger-views.ts';
import { invalidParameter } from '../errors.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import { requireServerKey } from '../http/require-server-key.ts';
import { CONVERSION_ID } from '../ingest/event-schema.ts';
import { readTextCapped } from '../ingest/parse-body.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_REDRIVE_IDS = 1000;
const REDRIVE_BODY_LIMIT_BYTES = 128 * 1024;
const NAME = /^[\w.:@#/-]{1,100}$/;

function optionalName(value: unknown, parameter: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw invalidParameter(parameter, `${parameter} must be a string of 1-100 characters`);
  }
  return value;
}

/** The redrive body as a filter; anything else is a 400 naming the field. */
function redriveFilter(body: unknown): RedriveFilter {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidParameter('', 'body must be {"conversion_ids": [...]}, {"event", "reason"} or {}');
  }
  const { conversion_ids: ids, event, reason, ...rest } = body as Record<string, unknown>;
  const [unknown] = Object.keys(rest);
  if (unknown !== undefined) throw invalidParameter(unknown, `${unknown} is not a redrive field`);
  const filter: RedriveFilter = {};
  if (ids !== undefined) {
    if (
      !Array.isArray(ids) ||
      ids.length === 0 ||
      ids.length > MAX_REDRIVE_IDS ||
      !ids.every((id) => typeof id === 'string' && CONVERSION_ID.test(id))
    ) {
      throw invalidParameter(
        'conversion_ids',
        `conversion_ids must be a list of 1 to ${MAX_REDRIVE_IDS} conversion ids`,
      );
    }
    filter.conversionIds = ids as string[];
  }
  const e = optionalName(event, 'event');
  const r = optionalName(reason, 'reason');
  if (e) filter.event = e;
  if (r) filter.reason = r;
  return filter;
}

export const deadLettersRoute = new Hono<AppEnv>()
  .get('/dead-letters', requireServerKey(), async function listDeadLetters(c) {
    const { pixelId } = requireConfig(c);
    const rawLimit = c.req.query('limit');
    const limit = rawLimit === undefined || rawLimit === '' ? DEFAULT_LIMIT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw invalidParameter('limit', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
    }
    const cursor = c.req.query('cursor') || undefined;
    if (cursor !== undefined && !isDeadLetterCursor(cursor)) {
      throw invalidParameter('cursor', 'cursor must be a next_cursor from a previous answer');
    }
    const event = optionalName(c.req.query('event'), 'event');
    const reason = optionalName(c.req.query('reason'), 'reason');
    const page = await requireLedger(c.env, pixelId).deadLetters({
      limit,
      ...(cursor ? { cursor } : {}),
      ...(event ? { event } : {}),
      ...(reason ? { reason } : {}),
    });
    return c.json(page);
  })
  .post('/dead-letters/redrive', requireServerKey(), async function redrive(c) {
    const { pixelId } = requireConfig(c);
    const text = await readTextCapped(c.req.raw, REDRIVE_BODY_LIMIT_BYTES);
    let body: unknown = {};
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw invalidParameter('', 'body must be JSON');
      }
    }
    const redriven = await requireLedger(c.env, pixelId).redrive(redriveFilter(body));
    return c.json({ redriven });
  });
