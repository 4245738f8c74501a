/**
 * @module
 * Sends one batch as a server call and settles every row in it. The edge
 * judges a batch as a whole: a 400 names the bad events (`events[3].email`),
 * so those rows are marked rejected with the edge's reason and the rest go
 * again. A body too large is split in halves. Busy or failing edges (429,
 * 5xx, no answer) are waited out a few times; past that the run stops, and
 * `--resume` picks it up.
 */
import { type EdgeClient, EdgeHttpError, EdgeUnreachableError } from '../edge-client.ts';
import { formatXError, type XErrorItem } from '../errors.ts';
import type { EventObject } from './map-row.ts';
import type { Clock } from './pacer.ts';

export interface OutgoingRow {
  row: number;
  line: number;
  conversionId: string;
  event: EventObject;
  /** The edge's pixel the row goes to (`pixel` column), if the file names one. */
  pixel?: string;
}

export interface SettledRow {
  row: number;
  line: number;
  conversionId: string;
  status: 'sent' | 'rejected';
  /** Why it was rejected, or the edge's warnings for a sent row. */
  reason: string;
}

/** Tries for one batch against a busy or failing edge. */
const MAX_TRANSIENT_TRIES = 6;
const MAX_BACKOFF_MS = 60_000;

/** `events[3].email` -> index 3 and parameter `email`. */
function eventIndexOf(parameter: string | undefined): { index: number; rest: string } | undefined {
  const match = /^events\[(\d+)\]\.?(.*)$/.exec(parameter ?? '');
  if (!match) return undefined;
  return { index: Number(match[1]), rest: match[2] ?? '' };
}

/** Errors or warnings grouped by the event they name (parameter without the prefix). */
function byEvent(items: readonly XErrorItem[]): Map<number, string[]> {
  const grouped = new Map<number, string[]>();
  for (const item of items) {
    const at = eventIndexOf(item.parameter);
    if (!at) continue;
    const text = formatXError(
      at.rest ? { ...item, parameter: at.rest } : { ...item, parameter: '' },
    );
    grouped.set(at.index, [...(grouped.get(at.index) ?? []), text]);
  }
  return grouped;
}

function isTransient(error: unknown): boolean {
  if (error instanceof EdgeHttpError) return error.status === 429 || error.status >= 500;
  return error instanceof EdgeUnreachableError;
}

function settle(rows: readonly OutgoingRow[], status: SettledRow['status'], reason = '') {
  return rows.map((r) => ({
    row: r.row,
    line: r.line,
    conversionId: r.conversionId,
    status,
    reason,
  }));
}

/**
 * Sends `rows` and returns one settled row for each, in the same order.
 * Throws when the edge cannot take the batch (refused key, still failing).
 *
 * @example
 * const settled = await sendBatch(edge, rows, systemClock);
 */
export async function sendBatch(
  edge: EdgeClient,
  rows: readonly OutgoingRow[],
  clock: Clock,
): Promise<SettledRow[]> {
  const pixels = new Set(rows.map((r) => r.pixel));
  if (pixels.size > 1) {
    // One request names one pixel: rows for several go as one request per pixel.
    const byRow = new Map<number, SettledRow>();
    for (const pixel of pixels) {
      const part = rows.filter((r) => r.pixel === pixel);
      for (const one of await sendBatch(edge, part, clock)) byRow.set(one.row, one);
    }
    return rows.flatMap((r) => byRow.get(r.row) ?? []);
  }
  const [pixel] = pixels;
  const settled = new Map<number, SettledRow>();
  let remaining = [...rows];
  let transientTries = 0;
  // Each round settles at least one row or counts a transient try: bounded.
  while (remaining.length > 0) {
    try {
      const answer = await edge.sendEvents(
        remaining.map((r) => r.event),
        pixel,
      );
      const warnings = byEvent(answer.warnings ?? []);
      for (const [index, row] of remaining.entries()) {
        const [one] = settle([row], 'sent', (warnings.get(index) ?? []).join('; '));
        if (one) settled.set(row.row, one);
      }
      remaining = [];
    } catch (error) {
      if (error instanceof EdgeHttpError && error.status === 400) {
        const refused = byEvent(error.errors);
        const named = remaining.filter((_, index) => refused.has(index));
        if (named.length === 0) {
          // Nothing names an event: the request as a whole was refused.
          for (const one of settle(
            remaining,
            'rejected',
            error.errors.map(formatXError).join('; '),
          ))
            settled.set(one.row, one);
          remaining = [];
        } else {
          for (const [index, row] of remaining.entries()) {
            const reasons = refused.get(index);
            if (reasons) {
              const [one] = settle([row], 'rejected', reasons.join('; '));
              if (one) settled.set(row.row, one);
            }
          }
          remaining = remaining.filter((_, index) => !refused.has(index));
        }
      } else if (error instanceof EdgeHttpError && error.status === 413 && remaining.length > 1) {
        const half = Math.ceil(remaining.length / 2);
        for (const part of [remaining.slice(0, half), remaining.slice(half)]) {
          for (const one of await sendBatch(edge, part, clock)) settled.set(one.row, one);
        }
        remaining = [];
      } else if (isTransient(error) && transientTries < MAX_TRANSIENT_TRIES - 1) {
        transientTries += 1;
        const retryAfterMs =
          error instanceof EdgeHttpError && error.retryAfterSeconds !== undefined
            ? error.retryAfterSeconds * 1000
            : 1000 * 2 ** transientTries;
        await clock.sleep(Math.min(MAX_BACKOFF_MS, retryAfterMs));
      } else {
        throw error;
      }
    }
  }
  return rows.map((r) => settled.get(r.row) as SettledRow);
}
