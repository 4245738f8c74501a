/**
 * @module
 * The last few requests this isolate sent (or, in dry run, would have sent) to X,
 * with secrets already removed, for the local demo's "what was sent" page.
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
