/**
 * @module
 * Sends one request of conversions to X's Conversion API and classifies the
 * answer, so the delivery code decides what to do from one `SendOutcome`:
 * done, isolate the bad conversions (invalid), wait (rate-limited), alert
 * (misconfigured) or retry.
 * It never throws for anything X or the network does.
 * X's error messages may quote an IP address, so they are masked before they
 * reach an outcome, a dead letter or a log.
 */
import type { EdgeConfig } from '../config.ts';
import { type XErrorItem, xErrorItems } from '../errors.ts';
import { log, maskAddresses } from '../log.ts';
import type { XConversion, XConversionRequestBody } from './conversion.ts';
import { signOAuth1 } from './sign-oauth1.ts';

/** X's answer as received (status and body, addresses masked), for `/events/verify`. */
export interface XAnswer {
  status: number;
  /** The parsed JSON, or the text when X answered something else. */
  body: unknown;
}

export type SendOutcome = (
  | { kind: 'delivered'; status: number; debugId?: string; processed?: number }
  | {
      kind: 'dry-run';
      request: {
        method: 'POST';
        url: string;
        headers: Record<string, string>;
        body: XConversionRequestBody;
      };
    } // secrets removed
  | { kind: 'invalid'; status: 400; errors: XErrorItem[] } // the request's conversions were rejected
  | { kind: 'rate-limited'; status: 429; retryAfterSeconds: number } // from x-rate-limit-reset (epoch s) or Retry-After; default 60
  | { kind: 'misconfigured'; status: 401 | 403 | 404; errors: XErrorItem[] }
  | { kind: 'retryable'; status?: number; reason: string } // 5xx, network error, timeout, non-JSON 2xx/5xx body
) & { answer?: XAnswer };

export interface SendOptions {
  /** Pixel to send to; the configured one by default. */
  pixelId?: string;
  /** Injected in tests; the global fetch by default. */
  fetch?: typeof fetch;
  /** Give up on X after this long (default 10 s) and call it retryable. */
  timeoutMs?: number;
  /** Attach X's status and body to the outcome (`/events/verify` shows them). */
  withAnswer?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RATE_LIMIT_WAIT_SECONDS = 60;
const SECRET_HEADERS = new Set(['authorization', 'x-pixel-token']);

/**
 * The body with every `ip_address` replaced by `[ip]`: dry-run logs and the demo's
 * "what was sent" page show bodies, and a raw IP address never goes to either.
 */
export function maskIpAddresses(body: XConversionRequestBody): XConversionRequestBody {
  return {
    conversions: body.conversions.map((conversion) => ({
      ...conversion,
      identifiers: conversion.identifiers.map((identifier) =>
        'ip_address' in identifier ? { ...identifier, ip_address: '[ip]' } : identifier,
      ),
    })),
  };
}

function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      SECRET_HEADERS.has(name.toLowerCase()) ? '[redacted]' : value,
    ]),
  );
}

/** X's body with addresses masked: parsed when it is JSON, else its first 2,000 characters. */
function maskedBody(text: string, isJson: boolean): unknown {
  const masked = maskAddresses(text);
  if (isJson) {
    try {
      return JSON.parse(masked);
    } catch {
      // A mask landed somewhere JSON did not allow it: show the text.
    }
  }
  return masked.slice(0, 2000);
}

/**
 * Seconds to wait after a 429: `x-rate-limit-reset` (epoch seconds) first,
 * then `Retry-After` (seconds or an HTTP date), else 60. At least 1.
 */
export function retryAfterSeconds(headers: Headers, nowMs = Date.now()): number {
  const reset = Number(headers.get('x-rate-limit-reset'));
  if (headers.has('x-rate-limit-reset') && Number.isFinite(reset) && reset > 0) {
    return Math.max(1, Math.ceil(reset - nowMs / 1000));
  }
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = /^\d+$/.test(retryAfter.trim())
      ? Number(retryAfter)
      : (Date.parse(retryAfter) - nowMs) / 1000;
    if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  }
  return DEFAULT_RATE_LIMIT_WAIT_SECONDS;
}

async function authHeaders(
  config: EdgeConfig,
  url: string,
): Promise<Record<string, string> | undefined> {
  const { credentials } = config;
  switch (credentials.kind) {
    case 'oauth1':
      return { authorization: await signOAuth1({ method: 'POST', url, credentials }) };
    case 'pixel-token':
      return { 'x-pixel-token': credentials.token };
    case 'none':
      return undefined;
  }
}

/**
 * X's Conversion API endpoint for one pixel.
 */
export function conversionsUrl(config: EdgeConfig, pixelId: string): string {
  return `${config.apiBaseUrl}/${config.apiVersion}/measurement/conversions/${encodeURIComponent(pixelId)}`;
}

/**
 * Posts `{"conversions": [...]}` to X (at most 500: the caller batches) and
 * classifies the answer.
 */
export async function sendConversions(
  config: EdgeConfig,
  conversions: XConversion[],
  options: SendOptions = {},
): Promise<SendOutcome> {
  const pixelId = options.pixelId ?? config.pixelId;
  const url = conversionsUrl(config, pixelId);
  const body: XConversionRequestBody = { conversions };
  const auth = await authHeaders(config, url);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...auth };

  if (!auth) {
    const request = { method: 'POST' as const, url, headers: redactHeaders(headers), body };
    log.info('dry run: would send', { request });
    return { kind: 'dry-run', request };
  }

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  const context = { pixel_id: pixelId, count: conversions.length };
  let response: Response;
  let text: string;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body read is under the same timeout: a stalled body is a failed request.
    text = await response.text();
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? `timeout after ${timeoutMs} ms`
        : `network error (${name})`;
    log.warn('x request failed', { ...context, reason });
    return { kind: 'retryable', reason };
  }

  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    isJson = false;
  }
  const { status } = response;
  const answer = options.withAnswer ? { answer: { status, body: maskedBody(text, isJson) } } : {};
  const errors = xErrorItems(parsed).map((e) => ({ ...e, message: maskAddresses(e.message) }));
  const logRejection = (msg: string, extra: Record<string, unknown> = {}) =>
    log.warn(msg, { ...context, status, errors, ...extra });

  if (status >= 200 && status < 300) {
    if (!isJson) {
      const reason = `X answered ${status} without a JSON body`;
      log.warn('x request failed', { ...context, status, reason });
      return { kind: 'retryable', status, reason, ...answer };
    }
    const data = (parsed as { data?: { debug_id?: unknown; conversions_processed?: unknown } })
      ?.data;
    const debugId = typeof data?.debug_id === 'string' ? data.debug_id : undefined;
    const processed =
      typeof data?.conversions_processed === 'number' ? data.conversions_processed : undefined;
    log.info('x delivered', { ...context, status, debug_id: debugId, processed });
    return { kind: 'delivered', status, debugId, processed, ...answer };
  }
  if (status === 400) {
    const list =
      errors.length > 0 ? errors : [{ code: 'INVALID_REQUEST', message: 'X answered 400' }];
    logRejection('x rejected conversions', { errors: list });
    return { kind: 'invalid', status, errors: list, ...answer };
  }
  if (status === 429) {
    const wait = retryAfterSeconds(response.headers);
    logRejection('x rate limited', { retry_after_seconds: wait });
    return { kind: 'rate-limited', status, retryAfterSeconds: wait, ...answer };
  }
  if (status === 401 || status === 403 || status === 404) {
    const list =
      errors.length > 0 ? errors : [{ code: 'UNKNOWN', message: `X answered ${status}` }];
    logRejection('x refused: check credentials, pixel id and event ids', { errors: list });
    return { kind: 'misconfigured', status, errors: list, ...answer };
  }
  // 5xx and anything unexpected (408, 409, 413...): try again later.
  const reason = isJson ? `X answered ${status}` : `X answered ${status} without a JSON body`;
  logRejection('x request failed', { reason });
  return { kind: 'retryable', status, reason, ...answer };
}
