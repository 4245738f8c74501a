/**
 * @module
 * Edge capture's settings from the configuration, valid or not: the site must
 * keep being served while, say, `X_EVENTS` is broken, so capture reads the
 * partial configuration rather than waiting for a valid one.
 */
import type { ConfigResult } from '../config.ts';
import type { LandingCookieSettings } from './landing-cookie.ts';

export interface SiteCaptureSettings extends LandingCookieSettings {
  /** Origin to send requests to instead of the route's own (e.g. `http://127.0.0.1:3000`). */
  originUrl?: string;
  injectScript: boolean;
  /** Where the edge serves `/xcapi.js`, for the injected tag. */
  basePath: string;
}

const DEFAULT_COOKIE_DAYS = 30;

/**
 * The settings when `SITE_CAPTURE=true`, else `undefined`. A broken `COOKIE_DAYS`
 * falls back to its default here (`/health` lists it, as it lists a broken
 * `ORIGIN_URL`, which is then ignored: requests go to the route's own origin).
 */
export function siteCaptureSettings(result: ConfigResult): SiteCaptureSettings | undefined {
  const config = result.ok ? result.config : result.partial;
  if (!config.siteCapture) return undefined;
  const days = config.cookieDays;
  return {
    originUrl: config.originUrl,
    injectScript: config.injectScript ?? false,
    basePath: config.basePath ?? '',
    cookieDays:
      days !== undefined && Number.isInteger(days) && days >= 1 && days <= 400
        ? days
        : DEFAULT_COOKIE_DAYS,
    cookieDomain: config.cookieDomain,
  };
}
