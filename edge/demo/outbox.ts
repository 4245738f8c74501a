/**
 * @module
 * The last few requests this isolate sent (or, in dry run, would have sent) to X,
 * with secrets already removed, for the local demo's "what was sent" page, and
 * the browser conversions still held for a server copy (`BROWSER_HOLD_SECONDS`),
 * so the page can say a purchase is waiting rather than that nothing happened.
 * Memory only and per isolate: a development aid, not a delivery record.
 */
import type { EdgeConfig } from '../config.ts';
import type { XConversion, XConversionRequestBody } from '../x-api/conversion.ts';
import {
  conversionsUrl,
  maskIpAddresses,
  type SendOptions,
  type SendOutcome,
} from '../x-api/x-client.ts';

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

/** A browser conversion accepted and held before its first send. */
export interface HeldEntry {
  conversionId: string;
  eventId: string;
  /** When the hold ends (epoch ms); delivery follows with the next queue batch. */
  until: number;
}

const LIMIT = 50;
const entries: OutboxEntry[] = [];
/** By event tag and conversion id, oldest first. */
const held = new Map<string, HeldEntry>();

const heldKey = (eventId: string, conversionId: string) => `${eventId}:${conversionId}`;

/** Remembers one outbound request; the oldest is forgotten past 50. Its conversions are no longer held. */
export function recordOutbound(entry: OutboxEntry): void {
  entries.unshift(entry);
  if (entries.length > LIMIT) entries.length = LIMIT;
  for (const c of entry.body.conversions) held.delete(heldKey(c.event_id, c.conversion_id));
}

/** Remembers browser conversions just queued with a hold of `holdSeconds`. */
export function recordHeld(
  conversions: readonly Pick<XConversion, 'conversion_id' | 'event_id'>[],
  holdSeconds: number,
  now: number = Date.now(),
): void {
  for (const c of conversions) {
    const key = heldKey(c.event_id, c.conversion_id);
    held.delete(key);
    held.set(key, {
      conversionId: c.conversion_id,
      eventId: c.event_id,
      until: now + holdSeconds * 1000,
    });
  }
  for (const key of held.keys()) {
    if (held.size <= LIMIT) break;
    held.delete(key);
  }
}

/** Held conversions not sent yet, newest first. */
export function heldConversions(): readonly HeldEntry[] {
  return [...held.values()].reverse();
}

/** Newest first. */
export function recentOutbound(): readonly OutboxEntry[] {
  return entries;
}

type Send = (
  config: EdgeConfig,
  conversions: XConversion[],
  options: SendOptions,
) => Promise<SendOutcome>;

/**
 * Wraps the X client so each request it makes is also remembered here, for the
 * demo page. Used only when `DEMO=true`.
 */
export function recordingOutbound(send: Send): Send {
  return async function sendAndRecord(config, conversions, options) {
    const outcome = await send(config, conversions, options);
    const secretHeader: Record<string, string> =
      config.credentials.kind === 'oauth1'
        ? { authorization: '[redacted]' }
        : config.credentials.kind === 'pixel-token'
          ? { 'x-pixel-token': '[redacted]' }
          : {};
    recordOutbound({
      at: new Date().toISOString(),
      outcome: outcome.kind,
      ...('status' in outcome && outcome.status !== undefined ? { status: outcome.status } : {}),
      url: conversionsUrl(config, options.pixelId ?? config.pixelId),
      headers: { 'content-type': 'application/json', ...secretHeader },
      body: maskIpAddresses({ conversions }),
    });
    return outcome;
  };
}
