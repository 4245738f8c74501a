/**
 * @module
 * Turns the Worker's raw string bindings into a checked configuration.
 * Broken configuration never reaches a caller as a stack trace: `parseConfig`
 * returns the list of problems, which the app logs once and reports in
 * `GET /health`, while routes that need a valid config answer 503.
 */
import type { Env } from './env.ts';
import { log } from './log.ts';
import {
  canonicalOrigin,
  EVENT_NAME,
  EVENT_TAG_ID,
  ORIGIN,
  PIXEL_ID,
  type PixelEntry,
  parsePixels,
} from './pixels/pixel-config.ts';
import {
  anySecret,
  credentialsFrom,
  pixelSecrets,
  pixelServerKey,
  secretSuffix,
  type XCredentials,
} from './pixels/pixel-credentials.ts';
import type { WebhookSource } from './webhooks/webhook-event.ts';

export type { XCredentials } from './pixels/pixel-credentials.ts';

/** One pixel the edge serves, with the credentials its conversions go to X with. */
export interface PixelConfig extends PixelEntry {
  /** Its own secrets (`X_PIXEL_TOKEN_<ID>`, ...) when set, else the shared ones. */
  credentials: XCredentials;
  /** `SERVER_KEY_<ID>`: a key that may address this pixel only. */
  serverKey?: string;
}

/** A shop's signed webhooks: the secrets that may have signed a delivery, and the event it becomes. */
export interface WebhookSettings {
  /** The current secret first; for Shopify also the one it replaced, while that may still sign. */
  secrets: readonly string[];
  /** The `X_EVENTS` name its purchases are sent as. */
  event: string;
}

export interface EdgeConfig {
  /**
   * Every pixel served: `X_PIXELS`, or the one of `X_PIXEL_ID`. The next three
   * fields are one pixel's once a request has chosen it (edge/pixels/pixel-routing.ts);
   * before that, with several pixels: no id, no events, and every pixel's origins.
   */
  pixels: readonly PixelConfig[];
  pixelId: string;
  /** Event name (as the browser script sends it) to Single Event Tag id. */
  events: Readonly<Record<string, string>>;
  allowedOrigins: readonly string[];
  apiBaseUrl: string;
  apiVersion: string;
  /** Route prefix without trailing slash, `''` when mounted at the root. */
  basePath: string;
  cookieDays: number;
  phoneDefaultCountry: string;
  credentials: XCredentials;
  serverKey: string | undefined;
  /** Delay before the first retry after a transient failure, doubling up to `maxSeconds`. */
  retry: { baseSeconds: number; maxSeconds: number };
  /** X's quota per pixel: `events` per `windowSeconds`. */
  rateLimit: { events: number; windowSeconds: number };
  /** Key sealing IP addresses inside queue messages, and the one it replaced. */
  sealKey?: string;
  sealKeyPrevious?: string;
  /** Mounts the demo pages under `/demo/`. */
  demo: boolean;
  /** Serves the demo pages on hosts other than loopback. */
  demoPublic: boolean;
  /** Conversions older than this are refused: X does not attribute them. */
  maxConversionAgeDays: number;
  /** Captures click ids on the site's own routes in front of `originUrl`. */
  siteCapture: boolean;
  /** The site the edge stands in front of when capturing on its routes. */
  originUrl?: string;
  /** Adds the browser script to HTML pages passing through the edge. */
  injectScript: boolean;
  /** Domain of the `_twclid` cookie, without a leading dot, e.g. `shop.example`. */
  cookieDomain?: string;
  /** SERVER_BUDGET_PERCENT: share of X's quota kept for server calls (browser copies get the rest). */
  serverBudgetPercent: number;
  /** BROWSER_HOLD_SECONDS: how long a browser copy waits on the queue before it may be sent. */
  browserHoldSeconds: number;
  /** DEDUP_MAX_ROWS: most conversion ids a pixel's `RateBudget` remembers. */
  dedupMaxRows: number;
  /** HEALTH_CACHE_SECONDS: how long an anonymous `/health` reuses the delivery state read last. */
  healthCacheSeconds: number;
  /** Webhook sources whose secret is set; a source without one has no route. */
  webhooks: Partial<Record<WebhookSource, WebhookSettings>>;
}

export type ConfigResult =
  | { ok: true; config: EdgeConfig }
  /** `partial` holds every setting read as far as possible, defaults in place of broken ones. */
  | { ok: false; problems: string[]; partial: EdgeConfig };

/** `BASE_PATH` as routes use it: trimmed, a leading slash, no trailing one (`xcapi/` -> `/xcapi`). */
export function normalizeBasePath(raw: string | undefined): string {
  const path = (raw ?? '').trim().replace(/\/+$/, '');
  return path && !path.startsWith('/') ? `/${path}` : path;
}

/**
 * Every setting as far as it could be read: the configuration, or with problems the
 * defaults in place of broken settings. For what works regardless (health, capture,
 * the demo, limits); delivery and ingest need `ok`.
 */
export function settingsOf(result: ConfigResult): EdgeConfig {
  return result.ok ? result.config : result.partial;
}

/** Share of the budget no browser call can take, unless SERVER_BUDGET_PERCENT says otherwise. */
const DEFAULT_SERVER_BUDGET_PERCENT = 50;
/** Long enough for a checkout backend's call to overtake the page's beacon. */
const DEFAULT_BROWSER_HOLD_SECONDS = 60;
/** Uptime monitors poll every 30 s or more: a few seconds' staleness costs them nothing. */
const DEFAULT_HEALTH_CACHE_SECONDS = 5;
/** Dedup rows per pixel: a few days of a busy shop's conversions, a few MB of SQLite. */
const DEFAULT_DEDUP_MAX_ROWS = 500_000;
/** Shortest SERVER_KEY and QUEUE_SEAL_KEY accepted: 32 characters, e.g. `openssl rand -base64 32`. */
const MIN_SECRET_LENGTH = 32;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parseEvents(raw: string | undefined, problems: string[]): Record<string, string> {
  const events: Record<string, string> = Object.create(null);
  if (!nonEmpty(raw)) {
    problems.push(
      'X_EVENTS is not set: map event names to Single Event Tag ids, e.g. {"purchase":"o9d2g"}',
    );
    return events;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw as string);
  } catch {
    problems.push('X_EVENTS is not valid JSON: expected e.g. {"purchase":"o9d2g"}');
    return events;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push('X_EVENTS must be a JSON object of event name to Single Event Tag id');
    return events;
  }
  for (const [name, tag] of Object.entries(parsed)) {
    if (!EVENT_NAME.test(name)) {
      problems.push(
        `X_EVENTS: event name "${name.slice(0, 64)}" must be 1-64 letters, digits, _ . or -`,
      );
    } else if (typeof tag !== 'string' || !EVENT_TAG_ID.test(tag)) {
      problems.push(`X_EVENTS: "${name}" must map to a Single Event Tag id such as "o9d2g"`);
    } else {
      events[name] = tag;
    }
  }
  if (Object.keys(events).length === 0 && problems.length === 0) {
    problems.push('X_EVENTS is empty: map at least one event name to a Single Event Tag id');
  }
  return events;
}

/** A whole number within `min..max`, or `fallback` when unset; a problem otherwise. */
function parseWholeNumber(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  unit: string,
  problems: string[],
): number {
  const text = raw?.trim();
  if (!text) return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  problems.push(`${name} must be a whole number of ${unit} from ${min} to ${max}`);
  return fallback;
}

/** `"true"` or `"false"`; unset or empty is false. */
function parseBoolean(name: string, raw: string | undefined, problems: string[]): boolean {
  const text = raw?.trim().toLowerCase();
  if (!text || text === 'false') return false;
  if (text === 'true') return true;
  problems.push(`${name} must be "true" or "false"`);
  return false;
}

function parseHttpUrl(
  name: string,
  raw: string | undefined,
  problems: string[],
): string | undefined {
  const text = nonEmpty(raw);
  if (!text) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(`${name} must be an http(s) URL such as https://origin.shop.example`);
    return undefined;
  }
  return text.replace(/\/+$/, '');
}

const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

function parseCookieDomain(raw: string | undefined, problems: string[]): string | undefined {
  const text = nonEmpty(raw)?.toLowerCase().replace(/^\./, '');
  if (!text) return undefined;
  if (!DOMAIN.test(text)) {
    problems.push('COOKIE_DOMAIN must be a domain such as shop.example');
    return undefined;
  }
  return text;
}

/** The secrets guarding server calls and queued addresses: long enough, and there when needed. */
function checkSecrets(
  env: Env,
  credentials: XCredentials,
  problems: string[],
): Pick<EdgeConfig, 'serverKey' | 'sealKey' | 'sealKeyPrevious'> {
  const serverKey = nonEmpty(env.SERVER_KEY);
  const sealKey = nonEmpty(env.QUEUE_SEAL_KEY);
  const sealKeyPrevious = nonEmpty(env.QUEUE_SEAL_KEY_PREVIOUS);
  const generate = 'generate one with: openssl rand -base64 32';
  if (serverKey !== undefined && serverKey.length < MIN_SECRET_LENGTH) {
    problems.push(`SERVER_KEY must be at least ${MIN_SECRET_LENGTH} characters: ${generate}`);
  }
  if (credentials.kind !== 'none' && sealKey === undefined) {
    problems.push(
      `QUEUE_SEAL_KEY is not set: it seals IP addresses on the queue when X credentials are set; ${generate}`,
    );
  }
  for (const [name, key] of [
    ['QUEUE_SEAL_KEY', sealKey],
    ['QUEUE_SEAL_KEY_PREVIOUS', sealKeyPrevious],
  ] as const) {
    if (key !== undefined && key.length < MIN_SECRET_LENGTH) {
      problems.push(`${name} must be at least ${MIN_SECRET_LENGTH} characters: ${generate}`);
    }
  }
  return {
    serverKey,
    ...(sealKey ? { sealKey } : {}),
    ...(sealKeyPrevious ? { sealKeyPrevious } : {}),
  };
}

/** The webhook event a source's purchases go to unless its `*_EVENT` setting names another. */
const DEFAULT_WEBHOOK_EVENT = 'purchase';

/** Each webhook source with its secret set, its event checked against the pixels' events. */
function parseWebhooks(
  env: Env,
  pixels: readonly PixelEntry[],
  problems: string[],
): EdgeConfig['webhooks'] {
  const sources: [WebhookSource, string, ...(string | undefined)[]][] = [
    [
      'shopify',
      'SHOPIFY',
      env.SHOPIFY_EVENT,
      env.SHOPIFY_WEBHOOK_SECRET,
      env.SHOPIFY_WEBHOOK_SECRET_PREVIOUS,
    ],
    ['stripe', 'STRIPE', env.STRIPE_EVENT, env.STRIPE_WEBHOOK_SECRET],
    ['woocommerce', 'WOOCOMMERCE', env.WOOCOMMERCE_EVENT, env.WOOCOMMERCE_WEBHOOK_SECRET],
  ];
  const webhooks: EdgeConfig['webhooks'] = {};
  for (const [source, prefix, rawEvent, secret, previous] of sources) {
    const current = nonEmpty(secret);
    if (current === undefined) continue;
    const event = nonEmpty(rawEvent) ?? DEFAULT_WEBHOOK_EVENT;
    if (!pixels.some((pixel) => Object.hasOwn(pixel.events, event))) {
      problems.push(
        `${prefix}_EVENT: "${event.slice(0, 64)}" is not an event of X_EVENTS; name the event ${source} purchases are sent as`,
      );
    }
    const old = nonEmpty(previous);
    webhooks[source] = { secrets: old === undefined ? [current] : [current, old], event };
  }
  return webhooks;
}

/** The one pixel of `X_PIXEL_ID`, `X_EVENTS` and `ALLOWED_ORIGINS`. */
function parseSinglePixel(env: Env, problems: string[]): PixelEntry {
  const pixelId = nonEmpty(env.X_PIXEL_ID);
  if (!pixelId)
    problems.push('X_PIXEL_ID is not set: use the pixel id from X Events Manager, e.g. o9d7n');
  else if (!PIXEL_ID.test(pixelId))
    problems.push('X_PIXEL_ID must be the pixel id from X Events Manager, e.g. o9d7n');

  const events = parseEvents(env.X_EVENTS, problems);

  const origins = (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of origins) {
    if (!ORIGIN.test(origin)) {
      problems.push(
        `ALLOWED_ORIGINS: "${origin.slice(0, 100)}" is not an origin like https://shop.example`,
      );
    }
  }
  return { id: pixelId ?? '', events, origins };
}

/** `X_PIXELS` when set (the one-pixel settings then stay empty), else the one-pixel settings. */
function parsePixelList(env: Env, problems: string[]): PixelEntry[] {
  const list = nonEmpty(env.X_PIXELS);
  if (list === undefined) return [parseSinglePixel(env, problems)];
  const alsoSet = (
    [
      ['X_PIXEL_ID', env.X_PIXEL_ID],
      ['X_EVENTS', env.X_EVENTS],
      ['ALLOWED_ORIGINS', env.ALLOWED_ORIGINS],
    ] as const
  )
    .filter(([, value]) => nonEmpty(value) !== undefined)
    .map(([name]) => name);
  if (alsoSet.length > 0) {
    problems.push(
      `X_PIXELS is set, so ${alsoSet.join(', ')} must be empty: each pixel of X_PIXELS names its own id, events and origins`,
    );
  }
  const parsed = parsePixels(list);
  problems.push(...parsed.problems);
  return parsed.pixels.map((pixel) => ({
    ...pixel,
    origins: pixel.origins.map(canonicalOrigin),
  }));
}

/** A pixel with its credentials (its own when any is set, else the shared ones) and server key. */
function withSecrets(
  env: Env,
  entry: PixelEntry,
  shared: XCredentials,
  problems: string[],
): PixelConfig {
  if (entry.id === '') return { ...entry, credentials: shared };
  const own = pixelSecrets(env, entry.id);
  const suffix = secretSuffix(entry.id);
  const credentials = anySecret(own) ? credentialsFrom(own, suffix, problems) : shared;
  const serverKey = pixelServerKey(env, entry.id);
  if (serverKey !== undefined && serverKey.length < MIN_SECRET_LENGTH) {
    problems.push(
      `SERVER_KEY${suffix} must be at least ${MIN_SECRET_LENGTH} characters: generate one with: openssl rand -base64 32`,
    );
  }
  return { ...entry, credentials, ...(serverKey === undefined ? {} : { serverKey }) };
}

/** Checks the Worker's bindings. Never throws. */
export function parseConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const entries = parsePixelList(env, problems);
  const shared = credentialsFrom(
    {
      consumerKey: env.X_CONSUMER_KEY,
      consumerSecret: env.X_CONSUMER_SECRET,
      accessToken: env.X_ACCESS_TOKEN,
      accessTokenSecret: env.X_ACCESS_TOKEN_SECRET,
      pixelToken: env.X_PIXEL_TOKEN,
    },
    '',
    problems,
  );
  const pixels = entries.map((entry) => withSecrets(env, entry, shared, problems));
  const only = pixels.length === 1 ? pixels[0] : undefined;
  const pixelId = only?.id ?? '';
  const events = only?.events ?? Object.freeze(Object.create(null));
  const allowedOrigins = only?.origins ?? pixels.flatMap((pixel) => pixel.origins);

  const apiBaseUrl = (nonEmpty(env.X_API_BASE_URL) ?? 'https://ads-api.x.com').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(apiBaseUrl))
    problems.push('X_API_BASE_URL must be an http(s) URL');
  const apiVersion = nonEmpty(env.X_API_VERSION) ?? '12';
  if (!/^\d{1,3}$/.test(apiVersion)) problems.push('X_API_VERSION must be a number such as 12');

  const basePath = normalizeBasePath(env.BASE_PATH);
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(basePath))
    problems.push('BASE_PATH must be a path such as /xcapi');

  const cookieDays = parseWholeNumber('COOKIE_DAYS', env.COOKIE_DAYS, 30, 1, 400, 'days', problems);
  const phoneDefaultCountry = (nonEmpty(env.PHONE_DEFAULT_COUNTRY) ?? 'US').toUpperCase();
  if (!/^[A-Z]{2}$/.test(phoneDefaultCountry)) {
    problems.push('PHONE_DEFAULT_COUNTRY must be a two-letter ISO 3166 country code such as US');
  }

  const credentials = only?.credentials ?? shared;
  const secrets = checkSecrets(
    env,
    pixels.find((pixel) => pixel.credentials.kind !== 'none')?.credentials ?? credentials,
    problems,
  );
  const serverBudgetPercent = parseWholeNumber(
    'SERVER_BUDGET_PERCENT',
    env.SERVER_BUDGET_PERCENT,
    DEFAULT_SERVER_BUDGET_PERCENT,
    0,
    90,
    'percent',
    problems,
  );
  // Cloudflare Queues delay a message by at most 12 hours.
  const browserHoldSeconds = parseWholeNumber(
    'BROWSER_HOLD_SECONDS',
    env.BROWSER_HOLD_SECONDS,
    DEFAULT_BROWSER_HOLD_SECONDS,
    0,
    43_200,
    'seconds',
    problems,
  );
  const healthCacheSeconds = parseWholeNumber(
    'HEALTH_CACHE_SECONDS',
    env.HEALTH_CACHE_SECONDS,
    DEFAULT_HEALTH_CACHE_SECONDS,
    0,
    60,
    'seconds',
    problems,
  );
  const dedupMaxRows = parseWholeNumber(
    'DEDUP_MAX_ROWS',
    env.DEDUP_MAX_ROWS,
    DEFAULT_DEDUP_MAX_ROWS,
    1,
    100_000_000,
    'rows',
    problems,
  );
  const config: EdgeConfig = {
    pixels,
    pixelId,
    events,
    allowedOrigins,
    apiBaseUrl,
    apiVersion,
    basePath,
    cookieDays,
    phoneDefaultCountry,
    credentials,
    ...secrets,
    retry: {
      baseSeconds: parseWholeNumber(
        'RETRY_BASE_SECONDS',
        env.RETRY_BASE_SECONDS,
        5,
        0,
        3600,
        'seconds',
        problems,
      ),
      maxSeconds: parseWholeNumber(
        'RETRY_MAX_SECONDS',
        env.RETRY_MAX_SECONDS,
        900,
        1,
        43_200,
        'seconds',
        problems,
      ),
    },
    rateLimit: {
      events: parseWholeNumber(
        'X_RATE_LIMIT_EVENTS',
        env.X_RATE_LIMIT_EVENTS,
        60_000,
        1,
        10_000_000,
        'events',
        problems,
      ),
      windowSeconds: parseWholeNumber(
        'X_RATE_LIMIT_WINDOW_SECONDS',
        env.X_RATE_LIMIT_WINDOW_SECONDS,
        900,
        1,
        86_400,
        'seconds',
        problems,
      ),
    },
    demo: parseBoolean('DEMO', env.DEMO, problems),
    demoPublic: parseBoolean('DEMO_PUBLIC', env.DEMO_PUBLIC, problems),
    maxConversionAgeDays: parseWholeNumber(
      'MAX_CONVERSION_AGE_DAYS',
      env.MAX_CONVERSION_AGE_DAYS,
      90,
      1,
      400,
      'days',
      problems,
    ),
    siteCapture: parseBoolean('SITE_CAPTURE', env.SITE_CAPTURE, problems),
    originUrl: parseHttpUrl('ORIGIN_URL', env.ORIGIN_URL, problems),
    injectScript: parseBoolean('INJECT_SCRIPT', env.INJECT_SCRIPT, problems),
    cookieDomain: parseCookieDomain(env.COOKIE_DOMAIN, problems),
    serverBudgetPercent,
    browserHoldSeconds,
    dedupMaxRows,
    healthCacheSeconds,
    webhooks: parseWebhooks(env, pixels, problems),
  };
  if (config.retry.maxSeconds < config.retry.baseSeconds) {
    problems.push('RETRY_MAX_SECONDS must not be smaller than RETRY_BASE_SECONDS');
  }
  return problems.length === 0 ? { ok: true, config } : { ok: false, problems, partial: config };
}

const parsed = new WeakMap<Env, ConfigResult>();

/** `parseConfig` once per env object (one per isolate), logging its problems once. */
export function configFor(env: Env): ConfigResult {
  let result = parsed.get(env);
  if (!result) {
    result = parseConfig(env);
    if (!result.ok) log.error('configuration problems', { problems: result.problems });
    parsed.set(env, result);
  }
  return result;
}
