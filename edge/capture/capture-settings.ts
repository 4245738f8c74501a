/**
 * @module
 * Edge capture's settings from the configuration, valid or not: the site must
 * keep being served while, say, `X_EVENTS` is broken, so capture reads the
 * partial configuration rather than waiting for a valid one.
 */
import { type ConfigResult, type EdgeConfig, settingsOf } from '../config.ts';

export type SiteCaptureSettings = Pick<
  EdgeConfig,
  'originUrl' | 'injectScript' | 'basePath' | 'cookieDays' | 'cookieDomain'
>;

/**
 * The settings when `SITE_CAPTURE=true`, else `undefined`. A broken setting is in
 * its default already (`/health` lists it): a broken `COOKIE_DAYS` is 30, a broken
 * `ORIGIN_URL` is absent, so requests go to the route's own origin.
 */
export function siteCaptureSettings(result: ConfigResult): SiteCaptureSettings | undefined {
  const { siteCapture, originUrl, injectScript, basePath, cookieDays, cookieDomain } =
    settingsOf(result);
  return siteCapture ? { originUrl, injectScript, basePath, cookieDays, cookieDomain } : undefined;
}
