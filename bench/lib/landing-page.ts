/**
 * @module
 * One page load of an ad landing in Chromium, the unit every main-thread
 * figure is made of: the shop page opened from an ad click (`?twclid=` in the
 * URL) with the script under test served at `/xcapi.js`, the whole network
 * answered in-process so only script work is on the clock, and the CDP
 * figures read at the `load` event. Each load gets its own browser context
 * (empty HTTP and code caches: a first visit).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from '../../test/browser/chromium.ts';
import { SHOP_ORIGIN } from '../../test/rig/beacon.ts';
import { PLAUSIBLE_ENDPOINT_PATH } from './plausible.ts';
import { summarize } from './stats.ts';

export const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
export const PAGE_URL = `${SHOP_ORIGIN}/products/mug?utm_source=twitter&twclid=${TWCLID}`;
export const SCRIPT_URL = `${SHOP_ORIGIN}/xcapi.js`;

/**
 * The shop page: marks around a synchronous script tag, then some content;
 * with `scriptAttributes` null, the same page without any script (no tag, no
 * marks), so nothing on it runs JavaScript.
 */
function pageHtml(scriptAttributes: string | null): string {
  const scripts =
    scriptAttributes === null
      ? ''
      : `<script>performance.mark('bench:before-script')</script>
<script src="/xcapi.js"${scriptAttributes}></script>
<script>performance.mark('bench:after-script')</script>
`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mug - Shop</title>
${scripts}</head><body><h1>Mug</h1><p>A mug.</p>
<form data-xcapi-event="lead"><input type="email" name="email"><button>Go</button></form>
</body></html>`;
}

/** What the scripts send on a page view, answered 204/202 in-process. */
const BEACON_PATHS: Record<string, number> = {
  '/click': 204,
  '/events': 204,
  [PLAUSIBLE_ENDPOINT_PATH]: 202,
};

export interface LoadSample {
  evaluationMs: number;
  scriptDurationMs: number;
  taskDurationMs: number;
  /** Whether the page ended with a `_twclid` cookie (the script did its job). */
  storedTwclid: boolean;
  /** Beacons the page sent (xcapi: POST /click; Plausible: its pageview). */
  beaconRequests: number;
}

/** A POST the page made, as the in-process server received it. */
export interface SentBeacon {
  path: string;
  body: string | null;
}

/** The part of a CDP `Profiler.Profile` read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples?: number[];
  timeDeltas?: number[];
}

/** Sampling interval of profiled loads: fine enough for a few milliseconds of work. */
export const PROFILE_INTERVAL_MICROS = 50;

export interface LoadOptions {
  /** Run the load under the CDP sampling profiler (inflates the timed figures). */
  profile?: boolean;
  /** Extra attributes for the script tag, e.g. ` data-consent="pending"`. */
  scriptAttributes?: string;
}

interface PageMarks {
  before: number;
  after: number;
  responseEnd: number;
}

/** `loadLanding`'s script for the page without any script (see `pageHtml`). */
export const NO_SCRIPT = null;

/**
 * Loads the landing page once in `context` with `script` as `/xcapi.js` (or,
 * with `NO_SCRIPT`, the page without any script) and reads the figures at
 * `load`. The page stays open, so a caller can look at what the script left
 * behind.
 *
 * @example
 * const { sample } = await loadLanding(context, 'var a = 1 + 1');
 */
export async function loadLanding(
  context: BrowserContext,
  script: string | typeof NO_SCRIPT,
  { profile = false, scriptAttributes = '' }: LoadOptions = {},
): Promise<{ sample: LoadSample; beacons: SentBeacon[]; profile?: CpuProfile }> {
  const beacons: SentBeacon[] = [];
  const html = pageHtml(script === NO_SCRIPT ? null : scriptAttributes);
  await context.route('**/*', (route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (url.origin !== SHOP_ORIGIN) return route.abort();
    if (request.method() === 'GET' && url.pathname === '/products/mug') {
      return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    }
    if (request.method() === 'GET' && url.pathname === '/xcapi.js' && script !== NO_SCRIPT) {
      return route.fulfill({ status: 200, contentType: 'text/javascript', body: script });
    }
    if (request.method() === 'POST') beacons.push({ path: url.pathname, body: request.postData() });
    return route.fulfill({ status: BEACON_PATHS[url.pathname] ?? 404 });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_MICROS });
    await cdp.send('Profiler.start');
  }
  await page.goto(PAGE_URL, { waitUntil: 'load' });
  const { metrics } = await cdp.send('Performance.getMetrics');
  const cpuProfile = profile ? (await cdp.send('Profiler.stop')).profile : undefined;
  const metric = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  const marks = await page.evaluate(
    (scriptUrl): PageMarks => ({
      before: performance.getEntriesByName('bench:before-script')[0]?.startTime ?? Number.NaN,
      after: performance.getEntriesByName('bench:after-script')[0]?.startTime ?? Number.NaN,
      responseEnd:
        (performance.getEntriesByName(scriptUrl)[0] as PerformanceResourceTiming | undefined)
          ?.responseEnd ?? Number.NaN,
    }),
    SCRIPT_URL,
  );
  const cookies = await context.cookies(SHOP_ORIGIN);
  const sample: LoadSample = {
    // No script tag: nothing blocked the parser.
    evaluationMs:
      script === NO_SCRIPT ? 0 : marks.after - Math.max(marks.before, marks.responseEnd),
    scriptDurationMs: metric('ScriptDuration'),
    taskDurationMs: metric('TaskDuration'),
    storedTwclid: cookies.some((cookie) => cookie.name === '_twclid'),
    beaconRequests: beacons.filter((beacon) => BEACON_PATHS[beacon.path] !== undefined).length,
  };
  return cpuProfile ? { sample, beacons, profile: cpuProfile } : { sample, beacons };
}

/**
 * The bench's flag beyond the project's own: `navigator.webdriver` stays
 * false, as in a visitor's browser; Plausible's tracker sends nothing when it
 * is true.
 */
export const LANDING_EXTRA_ARGS: readonly string[] = [
  '--disable-blink-features=AutomationControlled',
];

/** Chromium as the bench drives it: the project's flags and `LANDING_EXTRA_ARGS`. */
export function launchLandingBrowser(): Promise<Browser> {
  return launchChromium({ extraArgs: LANDING_EXTRA_ARGS, timeout: 60_000 });
}

/** Runs `use` in a new browser context (a first visit) and closes it after. */
export async function inFreshContext<T>(
  browser: Browser,
  use: (context: BrowserContext) => Promise<T>,
): Promise<T> {
  const context = await browser.newContext();
  try {
    return await use(context);
  } finally {
    await context.close();
  }
}

/** How many interleaved rounds a measurement runs, and for how long at most. */
export interface RoundsOptions {
  /** Page loads per script (each in a fresh context). */
  loads?: number;
  /** Rounds run first and thrown away (browser start-up noise). */
  warmupLoads?: number;
  /** Stop starting new rounds after this long (keeps `npm run bench` bounded). */
  timeLimitMs?: number;
}

/** One load of each script, keyed as the scripts were. */
export type Round<K extends string> = Record<K, LoadSample>;

/**
 * Loads the landing with each of `scripts`, one of each per round, rotating
 * which goes first, so load drifting on the machine falls on all alike. The
 * first `warmupRounds` are thrown away; no round starts after `deadline`
 * (a `performance.now()` time).
 *
 * @example
 * const rounds = await loadInRounds(browser, { a: 'var a = 1', empty: '' }, 15, 1, Infinity);
 */
export async function loadInRounds<K extends string>(
  browser: Browser,
  scripts: Record<K, string | typeof NO_SCRIPT>,
  rounds: number,
  warmupRounds: number,
  deadline: number,
): Promise<Round<K>[]> {
  const keys = Object.keys(scripts) as K[];
  const measured: Round<K>[] = [];
  for (let i = 0; i < warmupRounds + rounds && performance.now() < deadline; i++) {
    const round: Partial<Round<K>> = {};
    for (let k = 0; k < keys.length; k++) {
      const key = keys[(i + k) % keys.length] as K;
      round[key] = (
        await inFreshContext(browser, (context) => loadLanding(context, scripts[key]))
      ).sample;
    }
    if (i >= warmupRounds) measured.push(round as Round<K>);
  }
  return measured;
}

/** Median over rounds of `pick(a) - pick(b)` within each round. */
export function medianDifference<K extends string>(
  rounds: Round<K>[],
  a: K,
  b: K,
  pick: (sample: LoadSample) => number,
): number {
  return summarize(rounds.map((round) => pick(round[a]) - pick(round[b]))).median;
}
