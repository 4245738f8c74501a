/**
 * @module
 * The browser script's main-thread cost in Chromium (Debian's
 * /usr/bin/chromium through playwright-core), over many fresh page loads of a
 * shop page opened from an ad click (`?twclid=` in the URL), with the whole
 * network answered in-process so only script work is on the clock. Each load
 * runs in a new browser context (empty HTTP and code caches: a first visit).
 *
 * Two figures per load, for dist/xcapi.js and, interleaved, for an empty
 * script loaded the same way (the baseline):
 * - evaluation: `performance.mark` in inline scripts right before and after a
 *   synchronous `<script src>`, minus the time the bytes were still arriving
 *   (the resource's `responseEnd`): compile plus top-level run, wall clock;
 * - CDP `Performance.getMetrics` `ScriptDuration` at the load event, in the
 *   renderer main thread's own CPU time (`threadTicks`), so time the other
 *   core's load steals is not counted: all JavaScript the page ran, the
 *   script's cookie/storage work and its /click beacon included.
 */
import { readFile } from 'node:fs/promises';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../test/browser/chromium.ts';
import { type SampleSummary, summarize } from './lib/stats.ts';

const SHOP = 'https://shop.example';
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const PAGE_URL = `${SHOP}/products/mug?utm_source=twitter&twclid=${TWCLID}`;
const SCRIPT_URL = `${SHOP}/xcapi.js`;

/** The shop page: marks around a synchronous script tag, then some content. */
const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mug - Shop</title>
<script>performance.mark('bench:before-script')</script>
<script src="/xcapi.js"></script>
<script>performance.mark('bench:after-script')</script>
</head><body><h1>Mug</h1><p>A mug.</p>
<form data-xcapi-event="lead"><input type="email" name="email"><button>Go</button></form>
</body></html>`;

export type Variant = 'xcapi' | 'empty';

export interface LoadSample {
  variant: Variant;
  evaluationMs: number;
  scriptDurationMs: number;
  taskDurationMs: number;
  /** Whether the page ended with a `_twclid` cookie (the script did its job). */
  storedTwclid: boolean;
  /** POST /click requests the page sent. */
  clickRequests: number;
}

export interface VariantFigures {
  evaluationMs: SampleSummary;
  scriptDurationMs: SampleSummary;
  taskDurationMs: SampleSummary;
  loadsThatStoredTwclid: number;
  loadsThatSentClick: number;
}

export interface ClientMainThread {
  /** Measured loads per variant (fewer than asked when the time limit hit first). */
  loadsPerVariant: number;
  loadsAsked: number;
  pageUrl: string;
  xcapi: VariantFigures;
  empty: VariantFigures;
  /** Median of the per-pair differences xcapi - empty (loads run in pairs). */
  pairedDeltaMs: { evaluation: number; scriptDuration: number; taskDuration: number };
}

interface PageMarks {
  before: number;
  after: number;
  responseEnd: number;
}

async function loadOnce(
  context: BrowserContext,
  variant: Variant,
  script: string,
): Promise<LoadSample> {
  let clickRequests = 0;
  await context.route('**/*', (route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (url.origin !== SHOP) return route.abort();
    if (request.method() === 'GET' && url.pathname === '/products/mug') {
      return route.fulfill({ status: 200, contentType: 'text/html', body: PAGE_HTML });
    }
    if (request.method() === 'GET' && url.pathname === '/xcapi.js') {
      return route.fulfill({ status: 200, contentType: 'text/javascript', body: script });
    }
    if (request.method() === 'POST' && url.pathname === '/click') clickRequests++;
    if (url.pathname === '/click' || url.pathname === '/events') {
      return route.fulfill({ status: 204 });
    }
    return route.fulfill({ status: 404 });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await page.goto(PAGE_URL, { waitUntil: 'load' });
  const { metrics } = await cdp.send('Performance.getMetrics');
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
  const cookies = await context.cookies(SHOP);
  return {
    variant,
    evaluationMs: marks.after - Math.max(marks.before, marks.responseEnd),
    scriptDurationMs: metric('ScriptDuration'),
    taskDurationMs: metric('TaskDuration'),
    storedTwclid: cookies.some((cookie) => cookie.name === '_twclid'),
    clickRequests,
  };
}

function figuresFor(samples: LoadSample[]): VariantFigures {
  return {
    evaluationMs: summarize(samples.map((s) => s.evaluationMs)),
    scriptDurationMs: summarize(samples.map((s) => s.scriptDurationMs)),
    taskDurationMs: summarize(samples.map((s) => s.taskDurationMs)),
    loadsThatStoredTwclid: samples.filter((s) => s.storedTwclid).length,
    loadsThatSentClick: samples.filter((s) => s.clickRequests > 0).length,
  };
}

function medianPairedDelta(
  pairs: Array<[LoadSample, LoadSample]>,
  pick: (s: LoadSample) => number,
): number {
  return summarize(pairs.map(([xcapi, empty]) => pick(xcapi) - pick(empty))).median;
}

export interface MainThreadOptions {
  /** Page loads per variant (each in a fresh context). */
  loads?: number;
  /** Loads per variant run first and thrown away (browser start-up noise). */
  warmupLoads?: number;
  /** Stop starting new pairs after this long (keeps `npm run bench` bounded). */
  timeLimitMs?: number;
}

/**
 * Loads the page `loads` times with dist/xcapi.js and as many times with an
 * empty script, alternating which goes first in each pair.
 *
 * @example
 * const figures = await measureClientMainThread({ loads: 50 });
 * console.log(figures.xcapi.scriptDurationMs.median, figures.pairedDeltaMs.scriptDuration);
 */
export async function measureClientMainThread({
  loads = 50,
  warmupLoads = 3,
  timeLimitMs = 120_000,
}: MainThreadOptions = {}): Promise<ClientMainThread> {
  const deadline = performance.now() + timeLimitMs;
  const scripts: Record<Variant, string> = {
    xcapi: await readFile('dist/xcapi.js', 'utf8'),
    empty: '',
  };
  const browser = await launchChromium({ timeout: 60_000 });
  try {
    const pairs: Array<[LoadSample, LoadSample]> = [];
    for (let i = 0; i < warmupLoads + loads && performance.now() < deadline; i++) {
      const order: Variant[] = i % 2 === 0 ? ['xcapi', 'empty'] : ['empty', 'xcapi'];
      const pair: Partial<Record<Variant, LoadSample>> = {};
      for (const variant of order) {
        const context = await browser.newContext();
        try {
          pair[variant] = await loadOnce(context, variant, scripts[variant]);
        } finally {
          await context.close();
        }
      }
      if (i >= warmupLoads && pair.xcapi && pair.empty) pairs.push([pair.xcapi, pair.empty]);
    }
    if (pairs.length === 0) throw new Error(`no measured load within ${timeLimitMs} ms`);
    return {
      loadsPerVariant: pairs.length,
      loadsAsked: loads,
      pageUrl: PAGE_URL,
      xcapi: figuresFor(pairs.map(([xcapi]) => xcapi)),
      empty: figuresFor(pairs.map(([, empty]) => empty)),
      pairedDeltaMs: {
        evaluation: medianPairedDelta(pairs, (s) => s.evaluationMs),
        scriptDuration: medianPairedDelta(pairs, (s) => s.scriptDurationMs),
        taskDuration: medianPairedDelta(pairs, (s) => s.taskDurationMs),
      },
    };
  } finally {
    await browser.close();
  }
}
