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
import type { EdgeConfig } from '../config.ts';
import { dispatchConversions } from '../delivery/dispatch.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { browserRateLimit } from '../http/browser-rate-limit.ts';
import { identifyCaller, requireCaller } from '../http/caller.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import {
  allowedOriginsCors,
  allowedRequestOrigin,
  originNotAllowed,
} from '../http/origin-policy.ts';
import { cookieTwclid } from '../identity/twclid.ts';
import { buildConversion, type RequestSignals } from '../ingest/build-conversion.ts';
import {
  type EventInput,
  isBatch,
  SERVER_ONLY_FIELDS,
  validateEvents,
} from '../ingest/event-schema.ts';
import {
  BROWSER_BODY_LIMIT_BYTES,
  type ParsedBody,
  parseBody,
  SERVER_BODY_LIMIT_BYTES,
} from '../ingest/parse-body.ts';
import type { XConversion } from '../x-api/conversion.ts';

/** Longest `redirect` accepted from a form. */
const MAX_REDIRECT_LENGTH = 2048;
/** A longer `User-Agent` is not a browser's; it is left out rather than sent to X. */
const MAX_USER_AGENT_LENGTH = 512;

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
function safeRedirect(raw: string, siteOrigin: string | undefined, edgeOrigin: string): string {
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

/** 400 naming the first server-only field a browser call used. */
function refuseServerOnlyFields(events: unknown): void {
  if (typeof events !== 'object' || events === null) return;
  for (const field of SERVER_ONLY_FIELDS) {
    if (Object.hasOwn(events, field)) {
      throw invalidParameter(
        field,
        `${field} is accepted only on server calls (Authorization: Bearer SERVER_KEY)`,
      );
    }
  }
}

/** What the request itself says about a browser's user. */
function browserSignals(c: Context<AppEnv>): RequestSignals {
  const signals: RequestSignals = {};
  const twclid = cookieTwclid(c);
  if (twclid) signals.cookieTwclid = twclid;
  const ip = c.req.header('cf-connecting-ip');
  const userAgent = c.req.header('user-agent');
  if (ip && userAgent && userAgent.length <= MAX_USER_AGENT_LENGTH) {
    signals.ipAddress = ip;
    signals.userAgent = userAgent;
  }
  return signals;
}

async function conversionsFor(
  events: EventInput[],
  batch: boolean,
  config: EdgeConfig,
  signals: RequestSignals | undefined,
): Promise<XConversion[]> {
  const now = Date.now();
  const conversions: XConversion[] = [];
  for (const [index, input] of events.entries()) {
    conversions.push(
      await buildConversion(input, {
        config,
        now,
        ...(signals ? { signals } : {}),
        parameterPrefix: batch ? `events[${index}].` : '',
      }),
    );
  }
  return conversions;
}

/** The body's JSON (or form fields as an event object) and a checked redirect. */
function bodyContent(
  body: ParsedBody,
  siteOrigin: string | undefined,
  edgeOrigin: string,
): { json: unknown; redirect?: string } {
  if (body.kind === 'json') return { json: body.value };
  const form = fromForm(body.fields);
  return form.redirect === undefined
    ? { json: form.event }
    : { json: form.event, redirect: safeRedirect(form.redirect, siteOrigin, edgeOrigin) };
}

export const eventsRoute = new Hono<AppEnv>()
  // CORS first so even a 429 or 503 is readable by the page; the rate limit
  // runs before any body is read.
  .use('/events', allowedOriginsCors(), identifyCaller, browserRateLimit())
  .post('/events', async function acceptEvents(c) {
    const config = requireConfig(c);
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
    const { json, redirect } = bodyContent(body, siteOrigin, new URL(c.req.url).origin);

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
      refuseServerOnlyFields(json);
    }

    const validated = validateEvents(json);
    if (!validated.ok) throw new XApiError(400, validated.errors);
    const conversions = await conversionsFor(
      validated.value,
      batch,
      config,
      caller === 'browser' ? browserSignals(c) : undefined,
    );
    await dispatchConversions(
      { queue: c.env.DELIVERY_QUEUE, pixelId: config.pixelId, config },
      conversions,
    );

    if (redirect) return c.redirect(redirect, 303);
    return c.json(
      {
        accepted: conversions.length,
        conversion_ids: conversions.map((conversion) => conversion.conversion_id),
      },
      202,
    );
  });
