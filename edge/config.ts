/**
 * @module
 * Turns the Worker's raw string bindings into a checked configuration.
 * Broken configuration never reaches a caller as a stack trace: `parseConfig`
 * returns the list of problems, which the app logs once and reports in
 * `GET /health`, while routes that need a valid config answer 503.
 */

import { checkSecrets, parseCredentials, secretOf, type XCredentials } from './config-secrets.ts';
import type { Env } from './env.ts';
import { log } from './log.ts';
import { readVariable, type SettingValue } from './setting-kinds.ts';
import { SETTINGS, type SettingName } from './settings.ts';
import type { WebhookSource } from './webhooks/webhook-event.ts';

/** A shop's signed webhooks: the secrets that may have signed a delivery, and the event it becomes. */
export interface WebhookSettings {
  /** The current secret first; for Shopify also the one it replaced, while that may still sign. */
  secrets: readonly string[];
  /** The `X_EVENTS` name its purchases are sent as. */
  event: string;
}

export interface EdgeConfig {
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

const EVENT_NAME = /^[a-z0-9_.-]{1,64}$/i;
/** Single Event Tag ids look like `o9d2g`; X also accepts `tw-<pixel>-<event>`. */
const EVENT_TAG_ID = /^(?:tw-[a-z0-9]{3,16}-)?[a-z0-9]{3,16}$/i;

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

/** Each webhook source with its secret set, its event checked against `X_EVENTS`. */
function parseWebhooks(
  env: Env,
  events: Readonly<Record<string, string>>,
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
    if (!Object.hasOwn(events, event)) {
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

/** Checks the Worker's bindings. Never throws. */
export function parseConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const read = <N extends VariableName>(name: N) => variable(env, name, problems);
  const pixelId = read('X_PIXEL_ID');
  const events = parseEvents(read('X_EVENTS'), problems);

  const allowedOrigins = (read('ALLOWED_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `ALLOWED_ORIGINS: "${origin.slice(0, 100)}" is not an origin like https://shop.example`,
      );
    }
  }

  const apiBaseUrl = read('X_API_BASE_URL');
  const apiVersion = read('X_API_VERSION');
  const basePath = read('BASE_PATH');
  const cookieDays = read('COOKIE_DAYS');
  const phoneDefaultCountry = read('PHONE_DEFAULT_COUNTRY');
  const credentials = parseCredentials(env, problems);
  const secrets = checkSecrets(env, credentials, problems);
  const serverBudgetPercent = read('SERVER_BUDGET_PERCENT');
  const browserHoldSeconds = read('BROWSER_HOLD_SECONDS');
  const healthCacheSeconds = read('HEALTH_CACHE_SECONDS');
  const dedupMaxRows = read('DEDUP_MAX_ROWS');
  const config: EdgeConfig = {
    pixelId: pixelId ?? '',
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
    webhooks: parseWebhooks(env, events, problems),
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
