/**
 * @module
 * The last few requests this isolate sent (or, in dry run, would have sent) to X,
 * with secrets already removed, for the local demo's "what was sent" page.
 * Memory only and per isolate: a development aid, not a delivery record.
 */
import type { XConversionRequestBody } from '../x-api/conversion.ts';

export interface OutboxEntry {
  at: string;
  /** `delivered`, `dry-run`, or the failure kind the X client reported. */
  outcome: string;
  status?: number;
  url: string;
  /** Header values with `Authorization` / `X-Pixel-Token` redacted. */
  headers: Record<string, string>;
  body: XConversionRequestBody;
}

const LIMIT = 50;
const entries: OutboxEntry[] = [];

/** Remembers one outbound request; the oldest is forgotten past 50. */
export function recordOutbound(entry: OutboxEntry): void {
  entries.unshift(entry);
  if (entries.length > LIMIT) entries.length = LIMIT;
}

/** Newest first. */
export function recentOutbound(): readonly OutboxEntry[] {
  return entries;
}
