/**
 * @module
 * What the pixel's delivery ledger (./delivery-ledger.ts) shows an operator:
 * read-only queries over its tables for `/status`, `/status/conversions/:id`
 * and `/dead-letters`, and the shapes they answer with. Kept apart from the
 * Durable Object, which owns the writes and the delivery decisions.
 */
import type { ConversionRows, ConversionState } from './conversion-rows.ts';
import type { DeliveryHealth } from './delivery-health.ts';
import { readTallies, type SkipReason } from './event-tallies.ts';
import { SEAL_KEY_GONE } from './seal-address.ts';

/** A warning in X's error-item shape, as `POST /events` answers carry them. */
export interface LedgerWarning {
  code: string;
  parameter: string;
  message: string;
}

export const BUCKET_MS = 5 * 60_000;
export const HOUR_MS = 60 * 60_000;
/** Most dead letters one redrive call re-enqueues; the answer says how many are left. */
export const MAX_REDRIVE_PER_CALL = 1_000;

export type DeadLetterReason = 'rejected' | 'expired';

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface DeadLetterView {
  conversion_id: string;
  event: string;
  reason: DeadLetterReason;
  message: string;
  status: number | null;
  accepted_at: string;
  dead_at: string;
  /** Present when redriving it would lose something (`SEAL_KEY_GONE`). */
  warnings?: LedgerWarning[];
}

export interface ConversionView {
  conversion_id: string;
  event: string;
  state: ConversionState;
  waiting_reason: string | null;
  attempts: number;
  accepted_at: string;
  sent_at: string | null;
  debug_id: string | null;
  error: string | null;
  /** Present when it was sent without something it was accepted with (`SEAL_KEY_GONE`). */
  warnings?: LedgerWarning[];
}

export interface EventWindow {
  accepted: number;
  sent: number;
  waiting: Record<string, number>;
  dead_lettered: number;
  /** Acknowledged but not sent on purpose (./event-tallies.ts), per reason. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Accepted per source: `browser`, `server`, `shopify`, `stripe`, `woocommerce` (./source-counts.ts). */
  sources: Record<string, number>;
  coverage: { twclid: number; email: number; phone: number; ip_user_agent: number };
}

export interface LedgerStatus {
  delivery: DeliveryHealth;
  windows: {
    '1h': { events: Record<string, EventWindow> };
    '24h': { events: Record<string, EventWindow> };
  };
  last_error: null | { at: string; status: number | null; code: string; message: string };
  /** The last 24 hours, oldest first: one entry per hour. */
  hourly: { hour: string; accepted: number; sent: number; dead_lettered: number }[];
}

export interface DeadLetterQuery {
  event?: string;
  reason?: string;
  limit: number;
  cursor?: string;
}

export interface DeadLetterPage {
  dead_letters: DeadLetterView[];
  next_cursor: string | null;
}

function emptyWindow(): EventWindow {
  return {
    accepted: 0,
    sent: 0,
    waiting: {},
    dead_lettered: 0,
    skipped: {},
    sources: {},
    coverage: { twclid: 0, email: 0, phone: 0, ip_user_agent: 0 },
  };
}

export const COUNT_COLUMNS = [
  'accepted',
  'sent',
  'dead_lettered',
  'twclid',
  'email',
  'phone',
  'ip_user_agent',
] as const;
export type CountColumn = (typeof COUNT_COLUMNS)[number];

function encodeCursor(deadAt: number, key: string): string {
  return btoa(JSON.stringify([deadAt, key])).replace(/=+$/, '');
}

/** `[dead_at, key]` of the last row shown, or nulls for the first page (or a cursor we did not make). */
function decodeCursor(cursor: string | undefined): [number | null, string | null] {
  if (!cursor) return [null, null];
  try {
    const [at, key] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof at === 'number' && typeof key === 'string') return [at, key];
  } catch {
    // Falls through: the route rejects cursors it cannot read before calling.
  }
  return [null, null];
}

/** Whether `cursor` is one `deadLetters` could have made. */
export function isDeadLetterCursor(cursor: string): boolean {
  return decodeCursor(cursor)[0] !== null;
}

/** Counts per event for the last hour and day, the last X error, and an hourly series. */
export function readStatus(
  sql: SqlStorage,
  rows: ConversionRows,
  pixel: {
    delivery: DeliveryHealth;
    lastError: string | null;
    now: number;
  },
): LedgerStatus {
  const { now } = pixel;
  const lastError = pixel.lastError ? JSON.parse(pixel.lastError) : null;
  const currentHour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const firstHour = currentHour - 23 * HOUR_MS;
  // Buckets are 5 minutes and aligned to the epoch, so each falls in one hour.
  const byHour = new Map<number, { accepted: number; sent: number; dead_lettered: number }>();
  for (const row of sql.exec<{
    hour: number;
    accepted: number;
    sent: number;
    dead_lettered: number;
  }>(
    `SELECT bucket - bucket % ? AS hour, SUM(accepted) AS accepted, SUM(sent) AS sent,
       SUM(dead_lettered) AS dead_lettered
     FROM counts WHERE bucket >= ? AND bucket < ? GROUP BY hour`,
    HOUR_MS,
    firstHour,
    currentHour + HOUR_MS,
  )) {
    byHour.set(row.hour, row);
  }
  const hourly: LedgerStatus['hourly'] = [];
  for (let start = firstHour; start <= currentHour; start += HOUR_MS) {
    const row = byHour.get(start);
    hourly.push({
      hour: new Date(start).toISOString(),
      accepted: row?.accepted ?? 0,
      sent: row?.sent ?? 0,
      dead_lettered: row?.dead_lettered ?? 0,
    });
  }
  return {
    delivery: pixel.delivery,
    windows: {
      '1h': readWindow(sql, rows, now - HOUR_MS),
      '24h': readWindow(sql, rows, now - 24 * HOUR_MS),
    },
    last_error: lastError,
    hourly,
  };
}

/** Per event since `since`: counts from the buckets, waiting ones from the status rows. */
function readWindow(
  sql: SqlStorage,
  rows: ConversionRows,
  since: number,
): { events: Record<string, EventWindow> } {
  const events: Record<string, EventWindow> = {};
  const bucket = Math.floor(since / BUCKET_MS) * BUCKET_MS;
  for (const row of sql.exec<Record<CountColumn, number> & { event: string }>(
    `SELECT event, ${COUNT_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(', ')}
       FROM counts WHERE bucket >= ? GROUP BY event`,
    bucket,
  )) {
    const share = (n: number) =>
      row.accepted > 0 ? Math.round((n / row.accepted) * 1000) / 1000 : 0;
    events[row.event] = {
      accepted: row.accepted,
      sent: row.sent,
      waiting: {},
      dead_lettered: row.dead_lettered,
      skipped: {},
      sources: {},
      coverage: {
        twclid: share(row.twclid),
        email: share(row.email),
        phone: share(row.phone),
        ip_user_agent: share(row.ip_user_agent),
      },
    };
  }
  for (const row of rows.waiting(since)) {
    const entry = events[row.event] ?? emptyWindow();
    events[row.event] = entry;
    entry.waiting[row.waiting_reason] = row.n;
  }
  for (const [event, reasons] of readTallies(sql, 'skipped', bucket)) {
    const entry = events[event] ?? emptyWindow();
    events[event] = entry;
    entry.skipped = reasons;
  }
  for (const [event, sources] of readTallies(sql, 'source', bucket)) {
    const entry = events[event] ?? emptyWindow();
    events[event] = entry;
    entry.sources = sources;
  }
  return { events };
}

/** One conversion's state, or null when the ledger does not know it. */
export function readConversion(
  rows: ConversionRows,
  conversionId: string,
  event?: string,
): ConversionView | null {
  const found = rows.byConversionId(conversionId, event);
  if (!found) return null;
  return {
    conversion_id: found.conversion_id,
    event: found.event,
    state: found.state,
    waiting_reason: found.state === 'waiting' ? found.waiting_reason : null,
    attempts: found.attempts,
    accepted_at: iso(found.accepted_at) as string,
    sent_at: iso(found.sent_at),
    debug_id: found.debug_id,
    error: found.error,
    ...(found.warning === SEAL_KEY_GONE.code ? { warnings: [SEAL_KEY_GONE] } : {}),
  };
}

/**
 * Dead letters, newest first, without identifiers; `bodies` are their queue
 * payloads in the same order, for the ledger to check, never to show.
 */
export function readDeadLetters(
  sql: SqlStorage,
  query: DeadLetterQuery,
): { page: DeadLetterPage; bodies: string[] } {
  const [cursorAt, cursorKey] = decodeCursor(query.cursor);
  const rows = sql
    .exec<{
      key: string;
      conversion_id: string;
      event: string;
      reason: DeadLetterReason;
      status: number | null;
      message: string;
      accepted_at: number;
      dead_at: number;
      body: string;
    }>(
      `SELECT key, conversion_id, event, reason, status, message, accepted_at, dead_at, body FROM dead_letters
         WHERE (? IS NULL OR event = ?) AND (? IS NULL OR reason = ?)
           AND (? IS NULL OR dead_at < ? OR (dead_at = ? AND key < ?))
         ORDER BY dead_at DESC, key DESC LIMIT ?`,
      query.event ?? null,
      query.event ?? null,
      query.reason ?? null,
      query.reason ?? null,
      cursorAt,
      cursorAt,
      cursorAt,
      cursorKey,
      query.limit + 1,
    )
    .toArray();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    page: {
      dead_letters: page.map((r) => ({
        conversion_id: r.conversion_id,
        event: r.event,
        reason: r.reason,
        message: r.message,
        status: r.status,
        accepted_at: iso(r.accepted_at) as string,
        dead_at: iso(r.dead_at) as string,
      })),
      next_cursor: rows.length > query.limit && last ? encodeCursor(last.dead_at, last.key) : null,
    },
    bodies: page.map((r) => r.body),
  };
}
