/**
 * @module
 * `POST /events`: accept conversions from browsers (beacons, HTML forms) and
 * from servers (bearer key), turn them into X's conversions with identifiers
 * hashed at the door, and hand them to delivery before answering 202.
 *
 * Order matters: who is calling (auth, origin) decides the body size cap, so
 * it is settled before a byte of the body is read; `Sec-GPC: 1` is honoured
 * before any field is looked at.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { recordHeld } from '../demo/outbox.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { browserRateLimit } from '../http/browser-rate-limit.ts';
import { identifyCaller, requireCaller } from '../http/caller.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import {
  allowedOriginsCors,
  allowedRequestOrigin,
  originNotAllowed,
} from '../http/origin-policy.ts';
import { pixelByOrigin, scopeToPixel, takePixelField } from '../http/pixel-scope.ts';
import { cookieTwclid } from '../identity/twclid.ts';
import { isBatch } from '../ingest/event-schema.ts';
import { MAX_USER_AGENT_LENGTH, type RequestSignals } from '../ingest/identifiers.ts';
import { ingestEvents } from '../ingest/ingest-events.ts';
import {
  BROWSER_BODY_LIMIT_BYTES,
  type ParsedBody,
  parseBody,
  SERVER_BODY_LIMIT_BYTES,
} from '../ingest/parse-body.ts';

/** Longest `redirect` accepted from a form. */
const MAX_REDIRECT_LENGTH = 2048;

/** A form's fields as an event object, plus where to send the browser afterwards. */
function fromForm(fields: Map<string, string>): { event: unknown; redirect?: string } {
  // Null prototype: a field named `__proto__` becomes an ordinary (unknown) key.
  const event: Record<string, string> = Object.create(null);
  for (const [name, value] of fields) {
    // Empty inputs (an optional phone field left blank) mean "not given".
    if (name !== 'redirect' && value !== '') event[name] = value;
  }
  const redirect = fields.get('redirect');
  return redirect ? { event, redirect } : { event };
}

/**
 * The form's `redirect` as an absolute URL, only if it stays on the site that
 * sent the form or on the edge itself: anything else would make the edge an
 * open redirect.
 */
function safeRedirect(raw: string, siteOrigin: string | undefined, edgeUrl: string): string {
  const edgeOrigin = new URL(edgeUrl).origin;
  let url: URL | undefined;
  if (raw.length <= MAX_REDIRECT_LENGTH) {
    try {
      url = new URL(raw, siteOrigin ?? edgeOrigin);
    } catch {
      url = undefined;
    }
  }
  if (!url || (url.origin !== siteOrigin && url.origin !== edgeOrigin)) {
    throw invalidParameter('redirect', 'redirect must be a URL on the same site as the form');
  }
  return url.href;
}

/** What the request itself says about a browser's user. */
function browserSignals(c: Context<AppEnv>): RequestSignals {
  const signals: RequestSignals = {};
  const twclid = cookieTwclid(c);
  if (twclid) signals.cookieTwclid = twclid;
  const ip = c.req.header('cf-connecting-ip');
  const userAgent = c.req.header('user-agent');
  if (ip) signals.ipAddress = ip;
  if (userAgent && userAgent.length <= MAX_USER_AGENT_LENGTH) signals.userAgent = userAgent;
  return signals;
}

/** The body's JSON (or form fields as an event object) and a checked redirect. */
function bodyContent(
  body: ParsedBody,
  siteOrigin: string | undefined,
  edgeUrl: string,
): { json: unknown; redirect?: string } {
  if (body.kind === 'json') return { json: body.value };
  const form = fromForm(body.fields);
  return form.redirect === undefined
    ? { json: form.event }
    : { json: form.event, redirect: safeRedirect(form.redirect, siteOrigin, edgeUrl) };
}

export const eventsRoute = new Hono<AppEnv>()
  // CORS first so even a 429 or 503 is readable by the page; the rate limit
  // runs before any body is read.
  .use('/events', allowedOriginsCors(), identifyCaller, pixelByOrigin, browserRateLimit())
  .post('/events', async function acceptEvents(c) {
    let config = requireConfig(c);
    c.header('Cache-Control', 'no-store');
    const caller = requireCaller(c);
    let siteOrigin: string | undefined;
    if (caller === 'browser') {
      siteOrigin = allowedRequestOrigin(c.req.raw.headers, config.allowedOrigins);
      if (!siteOrigin) throw originNotAllowed();
    }

    const body = await parseBody(
      c.req.raw,
      caller === 'server' ? SERVER_BODY_LIMIT_BYTES : BROWSER_BODY_LIMIT_BYTES,
    );
    const { json, redirect } = bodyContent(body, siteOrigin, c.req.url);
    // A server call names its pixel in the body; a browser's was chosen by its origin.
    if (caller === 'server') config = scopeToPixel(c, takePixelField(json));

    if (caller === 'browser' && c.req.header('sec-gpc') === '1') {
      // Global Privacy Control is an opt-out of sharing: nothing is read or forwarded.
      // A form still goes on to its page; the header says why nothing was sent (as /click does).
      c.header('X-Xcapi-Gpc', 'honoured');
      if (redirect) return c.redirect(redirect, 303);
      return c.json(
        {
          accepted: 0,
          conversion_ids: [],
          gpc: true,
          message: 'Sec-GPC: 1 received: nothing was forwarded to X',
        },
        202,
      );
    }

    const batch = isBatch(json);
    if (caller === 'browser') {
      if (batch) {
        throw new XApiError(403, {
          code: 'FORBIDDEN',
          message:
            'The batch form {"events": [...]} is accepted only on server calls (Authorization: Bearer SERVER_KEY)',
          parameter: 'events',
        });
      }
    }

    const accepted = await ingestEvents(
      { env: c.env, queue: c.env.DELIVERY_QUEUE, pixelId: config.pixelId, config },
      json,
      { rules: config, caller, ...(caller === 'browser' ? { signals: browserSignals(c) } : {}) },
    );
    if (!accepted.ok) throw new XApiError(400, accepted.errors);
    const { conversions, skipped, warnings } = accepted;
    if (config.demo && caller === 'browser' && config.browserHoldSeconds > 0) {
      recordHeld(conversions, config.browserHoldSeconds);
    }

    if (redirect) return c.redirect(redirect, 303);
    return c.json(
      {
        accepted: conversions.length,
        conversion_ids: conversions.map((conversion) => conversion.conversion_id),
        ...(skipped.length > 0 ? { skipped: skipped.length } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
      },
      202,
    );
  });
