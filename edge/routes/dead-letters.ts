/**
 * @module
 * Dead letters (server key): conversions given up on, kept 30 days by the
 * pixel's `DeliveryLedger` with the queue payload intact.
 * - `GET /dead-letters?event=&reason=&limit=&cursor=`: newest first, paged,
 *   without identifiers.
 * - `POST /dead-letters/redrive` with `{"conversion_ids": [...]}`,
 *   `{"event", "reason"}` or `{}` (all), and `limit`: back on the delivery
 *   queue, same conversion ids, so the ledger's dedup keeps X from getting one
 *   twice. At most `limit` (1,000 at most and by default) per call, oldest
 *   first; `remaining` says how many still match, for the next call.
 */
import { Hono } from 'hono';
import type { RedriveFilter } from '../delivery/ledger-report.ts';
import { requireLedger } from '../delivery/ledger-stub.ts';
import { isDeadLetterCursor, MAX_REDRIVE_PER_CALL } from '../delivery/ledger-views.ts';
import { invalidParameter } from '../errors.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import { scopeToPixel, takePixelField } from '../http/pixel-scope.ts';
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

/** A whole number from 1 to `max`, or `fallback` when absent; a 400 naming `limit` otherwise. */
function limitOf(value: unknown, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw invalidParameter('limit', `limit must be a whole number from 1 to ${max}`);
  }
  return n;
}

/** The redrive body as a filter and a page size; anything else is a 400 naming the field. */
function redriveRequest(body: unknown): { filter: RedriveFilter; limit: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidParameter('', 'body must be {"conversion_ids": [...]}, {"event", "reason"} or {}');
  }
  const { conversion_ids: ids, event, reason, limit, ...rest } = body as Record<string, unknown>;
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
  return { filter, limit: limitOf(limit, MAX_REDRIVE_PER_CALL, MAX_REDRIVE_PER_CALL) };
}

export const deadLettersRoute = new Hono<AppEnv>()
  .get('/dead-letters', requireServerKey(), async function listDeadLetters(c) {
    requireConfig(c);
    const { pixelId } = scopeToPixel(c);
    const limit = limitOf(c.req.query('limit'), DEFAULT_LIMIT, MAX_LIMIT);
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
    requireConfig(c);
    const text = await readTextCapped(c.req.raw, REDRIVE_BODY_LIMIT_BYTES);
    let body: unknown = {};
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw invalidParameter('', 'body must be JSON');
      }
    }
    const { pixelId } = scopeToPixel(c, takePixelField(body));
    const { filter, limit } = redriveRequest(body);
    return c.json(await requireLedger(c.env, pixelId).redrive(filter, limit));
  });
