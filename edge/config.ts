/**
 * @module
 * Turns the Worker's raw string bindings into a checked configuration.
 * Broken configuration never reaches a caller as a stack trace: `parseConfig`
 * returns the list of problems, which the app logs once and reports in
 * `GET /health`, while routes that need a valid config answer 503.
 */

import { checkSecrets, MIN_SECRET_LENGTH, secretOf } from './config-secrets.ts';
import type { Env } from './env.ts';
import { log } from './log.ts';
import {
  canonicalOrigin,
  EVENT_NAME,
  EVENT_TAG_ID,
  ORIGIN,
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
import { readVariable, type SettingValue } from './setting-kinds.ts';
import { SETTINGS, type SettingName } from './settings.ts';
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
  /** DEDUP_MAX_ROWS: most conversion rows (dedup and status) a pixel's ledger keeps. */
  dedupMaxRows: number;
  /** HEALTH_CACHE_SECONDS: how long an anonymous `/health` reuses the delivery state read last. */
  healthCacheSeconds: number;
  /** Webhook sources whose secret is set; a source without one has no route. */
  webhooks: Partial<Record<WebhookSource, WebhookSettings>>;
}

/** The settings read from `[vars]`. */
type VariableName = {
  [N in SettingName]: (typeof SETTINGS)[N] extends { kind: 'var' } ? N : never;
}[SettingName];

export type ConfigResult =
  | { ok: true; config: EdgeConfig }
  /** `partial` holds every setting read as far as possible, defaults in place of broken ones. */
  | { ok: false; problems: string[]; partial: EdgeConfig };

/**
 * Every setting as far as it could be read: the configuration, or with problems the
 * defaults in place of broken settings. For what works regardless (health, capture,
 * the demo, limits); delivery and ingest need `ok`.
 */
export function settingsOf(result: ConfigResult): EdgeConfig {
  return result.ok ? result.config : result.partial;
}

function parseEvents(raw: string | undefined, problems: string[]): Record<string, string> {
  const events: Record<string, string> = Object.create(null);
  if (raw === undefined) return events;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
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

/** Each webhook source with its secret set, its event checked against the pixels' events. */
function parseWebhooks(
  env: Env,
  pixels: readonly PixelEntry[],
  problems: string[],
): EdgeConfig['webhooks'] {
  const sources: [
    WebhookSource,
    'SHOPIFY' | 'STRIPE' | 'WOOCOMMERCE',
    ...(string | undefined)[],
  ][] = [
    ['shopify', 'SHOPIFY', env.SHOPIFY_WEBHOOK_SECRET, env.SHOPIFY_WEBHOOK_SECRET_PREVIOUS],
    ['stripe', 'STRIPE', env.STRIPE_WEBHOOK_SECRET],
    ['woocommerce', 'WOOCOMMERCE', env.WOOCOMMERCE_WEBHOOK_SECRET],
  ];
  const webhooks: EdgeConfig['webhooks'] = {};
  for (const [source, prefix, secret, previous] of sources) {
    const current = secretOf(secret);
    if (current === undefined) continue;
    const event = variable(env, `${prefix}_EVENT`, problems);
    if (!pixels.some((pixel) => Object.hasOwn(pixel.events, event))) {
      problems.push(
        `${prefix}_EVENT: "${event.slice(0, 64)}" is not an event of X_EVENTS; name the event ${source} purchases are sent as`,
      );
    }
    const old = secretOf(previous);
    webhooks[source] = { secrets: old === undefined ? [current] : [current, old], event };
  }
  return webhooks;
}

/** One variable of the spec, read from the Worker's bindings. */
function variable<N extends VariableName>(
  env: Env,
  name: N,
  problems: string[],
): SettingValue<(typeof SETTINGS)[N]> {
  return readVariable(name, SETTINGS[name], env[name], problems);
}

/** The one pixel of `X_PIXEL_ID`, `X_EVENTS` and `ALLOWED_ORIGINS`. */
function parseSinglePixel(env: Env, problems: string[]): PixelEntry {
  const pixelId = variable(env, 'X_PIXEL_ID', problems);
  const events = parseEvents(variable(env, 'X_EVENTS', problems), problems);
  const origins = (variable(env, 'ALLOWED_ORIGINS', problems) ?? '')
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
  const list = variable(env, 'X_PIXELS', problems);
  if (list === undefined) return [parseSinglePixel(env, problems)];
  const alsoSet = (
    [
      ['X_PIXEL_ID', env.X_PIXEL_ID],
      ['X_EVENTS', env.X_EVENTS],
      ['ALLOWED_ORIGINS', env.ALLOWED_ORIGINS],
    ] as const
  )
    .filter(([, value]) => secretOf(value) !== undefined)
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
  const read = <N extends VariableName>(name: N) => variable(env, name, problems);
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

  const apiBaseUrl = read('X_API_BASE_URL');
  const apiVersion = read('X_API_VERSION');
  const basePath = read('BASE_PATH');
  const cookieDays = read('COOKIE_DAYS');
  const phoneDefaultCountry = read('PHONE_DEFAULT_COUNTRY');
  const credentials = only?.credentials ?? shared;
  const secrets = checkSecrets(
    env,
    pixels.find((pixel) => pixel.credentials.kind !== 'none')?.credentials ?? credentials,
    problems,
  );
  const serverBudgetPercent = read('SERVER_BUDGET_PERCENT');
  const browserHoldSeconds = read('BROWSER_HOLD_SECONDS');
  const healthCacheSeconds = read('HEALTH_CACHE_SECONDS');
  const dedupMaxRows = read('DEDUP_MAX_ROWS');
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
    retry: { baseSeconds: read('RETRY_BASE_SECONDS'), maxSeconds: read('RETRY_MAX_SECONDS') },
    rateLimit: {
      events: read('X_RATE_LIMIT_EVENTS'),
      windowSeconds: read('X_RATE_LIMIT_WINDOW_SECONDS'),
    },
    demo: read('DEMO'),
    demoPublic: read('DEMO_PUBLIC'),
    maxConversionAgeDays: read('MAX_CONVERSION_AGE_DAYS'),
    siteCapture: read('SITE_CAPTURE'),
    originUrl: read('ORIGIN_URL'),
    injectScript: read('INJECT_SCRIPT'),
    cookieDomain: read('COOKIE_DOMAIN'),
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
