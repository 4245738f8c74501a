/**
 * parseConfig: every setting parsed and range-checked once, each broken value
 * named in the problems list rather than silently replaced by its default.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../edge/config.ts';
import type { Env } from '../../edge/env.ts';

const VALID: Env = { X_PIXEL_ID: 'o9d7n', X_EVENTS: '{"purchase":"o9d2g"}' };

function configOf(overrides: Env) {
  const result = parseConfig({ ...VALID, ...overrides });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config;
}

function problemsOf(overrides: Env): string[] {
  const result = parseConfig({ ...VALID, ...overrides });
  return result.ok ? [] : result.problems;
}

describe('parseConfig', () => {
  it('has documented defaults for every optional setting', () => {
    const config = configOf({});
    expect(config).toMatchObject({
      cookieDays: 30,
      phoneDefaultCountry: 'US',
      retry: { baseSeconds: 5, maxSeconds: 900 },
      rateLimit: { events: 60_000, windowSeconds: 900 },
      demo: false,
      demoPublic: false,
      maxConversionAgeDays: 90,
      siteCapture: false,
      injectScript: false,
      serverBudgetPercent: 50,
      browserHoldSeconds: 60,
      dedupMaxRows: 500_000,
      healthCacheSeconds: 5,
    });
    expect(config.sealKey).toBeUndefined();
    expect(config.sealKeyPrevious).toBeUndefined();
    expect(config.originUrl).toBeUndefined();
    expect(config.cookieDomain).toBeUndefined();
  });

  it('reads every setting given', () => {
    const config = configOf({
      RETRY_BASE_SECONDS: '0',
      RETRY_MAX_SECONDS: '60',
      X_RATE_LIMIT_EVENTS: '10',
      X_RATE_LIMIT_WINDOW_SECONDS: '60',
      QUEUE_SEAL_KEY: ' new-key-0123456789abcdef0123456789 ',
      QUEUE_SEAL_KEY_PREVIOUS: 'old-key-0123456789abcdef0123456789',
      SERVER_BUDGET_PERCENT: '80',
      BROWSER_HOLD_SECONDS: '30',
      DEDUP_MAX_ROWS: '1000',
      HEALTH_CACHE_SECONDS: '12',
      DEMO: 'true',
      DEMO_PUBLIC: 'TRUE',
      MAX_CONVERSION_AGE_DAYS: '400',
      SITE_CAPTURE: 'true',
      ORIGIN_URL: 'https://origin.shop.example/',
      INJECT_SCRIPT: 'false',
      COOKIE_DOMAIN: '.Shop.Example',
    });
    expect(config).toMatchObject({
      retry: { baseSeconds: 0, maxSeconds: 60 },
      rateLimit: { events: 10, windowSeconds: 60 },
      sealKey: 'new-key-0123456789abcdef0123456789',
      sealKeyPrevious: 'old-key-0123456789abcdef0123456789',
      serverBudgetPercent: 80,
      browserHoldSeconds: 30,
      dedupMaxRows: 1000,
      healthCacheSeconds: 12,
      demo: true,
      demoPublic: true,
      maxConversionAgeDays: 400,
      siteCapture: true,
      originUrl: 'https://origin.shop.example',
      injectScript: false,
      cookieDomain: 'shop.example',
    });
  });

  it.each<[Env, string]>([
    [{ RETRY_BASE_SECONDS: 'soon' }, 'RETRY_BASE_SECONDS must be a whole number'],
    [{ RETRY_MAX_SECONDS: '0' }, 'RETRY_MAX_SECONDS must be a whole number'],
    [{ RETRY_BASE_SECONDS: '100', RETRY_MAX_SECONDS: '10' }, 'RETRY_MAX_SECONDS must not be'],
    [{ X_RATE_LIMIT_EVENTS: '-1' }, 'X_RATE_LIMIT_EVENTS must be a whole number'],
    [{ X_RATE_LIMIT_WINDOW_SECONDS: '1.5' }, 'X_RATE_LIMIT_WINDOW_SECONDS must be'],
    [{ DEMO: 'yes' }, 'DEMO must be "true" or "false"'],
    [{ DEMO_PUBLIC: '1' }, 'DEMO_PUBLIC must be "true" or "false"'],
    [{ SITE_CAPTURE: 'on' }, 'SITE_CAPTURE must be "true" or "false"'],
    [{ INJECT_SCRIPT: 'no' }, 'INJECT_SCRIPT must be "true" or "false"'],
    [{ MAX_CONVERSION_AGE_DAYS: '0' }, 'MAX_CONVERSION_AGE_DAYS must be a whole number'],
    [{ MAX_CONVERSION_AGE_DAYS: '401' }, 'MAX_CONVERSION_AGE_DAYS must be a whole number'],
    [{ ORIGIN_URL: 'ftp://origin.example' }, 'ORIGIN_URL must be an http(s) URL'],
    [{ ORIGIN_URL: 'not a url' }, 'ORIGIN_URL must be an http(s) URL'],
    [{ COOKIE_DOMAIN: 'https://shop.example' }, 'COOKIE_DOMAIN must be a domain'],
    [{ COOKIE_DOMAIN: 'shop..example' }, 'COOKIE_DOMAIN must be a domain'],
    [{ COOKIE_DAYS: '30 days' }, 'COOKIE_DAYS must be a whole number'],
    [{ SERVER_BUDGET_PERCENT: '95' }, 'SERVER_BUDGET_PERCENT must be a whole number'],
    [{ BROWSER_HOLD_SECONDS: '-1' }, 'BROWSER_HOLD_SECONDS must be a whole number'],
    [{ DEDUP_MAX_ROWS: '0' }, 'DEDUP_MAX_ROWS must be a whole number'],
    [{ HEALTH_CACHE_SECONDS: '61' }, 'HEALTH_CACHE_SECONDS must be a whole number'],
  ])('names the problem in %o', (overrides, problem) => {
    const problems = problemsOf(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('treats empty booleans as false', () => {
    expect(configOf({ DEMO: '', SITE_CAPTURE: ' ' })).toMatchObject({
      demo: false,
      siteCapture: false,
    });
  });
});
