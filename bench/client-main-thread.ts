/**
 * @module
 * The browser script's main-thread cost in Chromium (Debian's
 * /usr/bin/chromium through playwright-core), over many fresh page loads of a
 * shop page opened from an ad click (`?twclid=` in the URL), with the whole
 * network answered in-process so only script work is on the clock. Each load
 * runs in a new browser context (empty HTTP and code caches: a first visit).
 *
 * Three scripts, loaded the same way at the same URL and interleaved load by
 * load: dist/xcapi.js, Plausible's official tracker (./lib/plausible.ts, the
 * measured peer) and an empty script (the baseline). Two figures per load:
 * - evaluation: `performance.mark` in inline scripts right before and after a
 *   synchronous `<script src>`, minus the time the bytes were still arriving
 *   (the resource's `responseEnd`): compile plus top-level run, wall clock;
 * - CDP `Performance.getMetrics` `ScriptDuration` at the load event, in the
 *   renderer main thread's own CPU time (`threadTicks`), so time the other
 *   core's load steals is not counted: all JavaScript the page ran, the
 *   script's cookie/storage work and its beacon included.
 *
 * With `profileLoads`, further loads run under the CDP sampling profiler
 * (never mixed with the timed ones, whose figures it would inflate) and the
 * self time is summed per function, to show where each script spends it.
 *
 *     node bench/client-main-thread.ts [--loads 20] [--profile 10] [--limit 300 (seconds)]
 */
import { readFile } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '../test/browser/chromium.ts';
import { PLAUSIBLE_ENDPOINT_PATH, plausibleScript } from './lib/plausible.ts';
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

export type Variant = 'xcapi' | 'plausible' | 'empty';

const VARIANTS: readonly Variant[] = ['xcapi', 'plausible', 'empty'];

/** What each script sends on a page view, answered 204/202 in-process. */
const BEACON_PATHS: Record<string, number> = {
  '/click': 204,
  '/events': 204,
  [PLAUSIBLE_ENDPOINT_PATH]: 202,
};

export interface LoadSample {
  variant: Variant;
  evaluationMs: number;
  scriptDurationMs: number;
  taskDurationMs: number;
  /** Whether the page ended with a `_twclid` cookie (the script did its job). */
  storedTwclid: boolean;
  /** Beacons the page sent (xcapi: POST /click; Plausible: its pageview). */
  beaconRequests: number;
}

export interface VariantFigures {
  evaluationMs: SampleSummary;
  scriptDurationMs: SampleSummary;
  taskDurationMs: SampleSummary;
  loadsThatStoredTwclid: number;
  loadsThatSentBeacon: number;
}

/** Median of the per-load differences script - empty (loads run in interleaved rounds). */
export interface PairedDelta {
  evaluation: number;
  scriptDuration: number;
  taskDuration: number;
}

/** One function's self time under the profiler: median over the profiled loads. */
export interface ProfiledFunction {
  functionName: string;
  /** `url:line:column` (1-based), or the profiler's pseudo-node name. */
  location: string;
  selfMsPerLoad: number;
}

export interface VariantProfile {
  loads: number;
  samplingIntervalMicros: number;
  /** Self time in functions of the script's own file, median per load. */
  scriptSelfMsPerLoad: number;
  /** The heaviest JavaScript functions (script file, page, built-ins, GC), by self time. */
  top: ProfiledFunction[];
}

export interface ClientMainThread {
  /** Measured loads per variant (fewer than asked when the time limit hit first). */
  loadsPerVariant: number;
  loadsAsked: number;
  pageUrl: string;
  xcapi: VariantFigures;
  /** Plausible's tracker (./lib/plausible.ts). */
  plausible: VariantFigures;
  empty: VariantFigures;
  /** xcapi - empty, per round. */
  pairedDeltaMs: PairedDelta;
  /** plausible - empty, per round. */
  plausibleDeltaMs: PairedDelta;
  /** Median of the per-round ScriptDuration differences xcapi - plausible. */
  xcapiMinusPlausibleScriptMs: number;
  /** CDP profiles, when asked for. */
  profiles?: { xcapi: VariantProfile; plausible: VariantProfile };
}

interface PageMarks {
  before: number;
  after: number;
  responseEnd: number;
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
const PROFILE_INTERVAL_MICROS = 50;

async function loadOnce(
  context: BrowserContext,
  variant: Variant,
  script: string,
  profile = false,
): Promise<{ sample: LoadSample; profile?: CpuProfile }> {
  let beaconRequests = 0;
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
    const beaconStatus = BEACON_PATHS[url.pathname];
    if (beaconStatus !== undefined) {
      if (request.method() === 'POST') beaconRequests++;
      return route.fulfill({ status: beaconStatus });
    }
    return route.fulfill({ status: 404 });
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
  const cookies = await context.cookies(SHOP);
  const sample: LoadSample = {
    variant,
    evaluationMs: marks.after - Math.max(marks.before, marks.responseEnd),
    scriptDurationMs: metric('ScriptDuration'),
    taskDurationMs: metric('TaskDuration'),
    storedTwclid: cookies.some((cookie) => cookie.name === '_twclid'),
    beaconRequests,
  };
  return cpuProfile ? { sample, profile: cpuProfile } : { sample };
}

function figuresFor(samples: LoadSample[]): VariantFigures {
  return {
    evaluationMs: summarize(samples.map((s) => s.evaluationMs)),
    scriptDurationMs: summarize(samples.map((s) => s.scriptDurationMs)),
    taskDurationMs: summarize(samples.map((s) => s.taskDurationMs)),
    loadsThatStoredTwclid: samples.filter((s) => s.storedTwclid).length,
    loadsThatSentBeacon: samples.filter((s) => s.beaconRequests > 0).length,
  };
}

type Round = Record<Variant, LoadSample>;

function medianDelta(rounds: Round[], a: Variant, b: Variant, pick: (s: LoadSample) => number) {
  return summarize(rounds.map((round) => pick(round[a]) - pick(round[b]))).median;
}

function pairedDelta(rounds: Round[], variant: Variant): PairedDelta {
  return {
    evaluation: medianDelta(rounds, variant, 'empty', (s) => s.evaluationMs),
    scriptDuration: medianDelta(rounds, variant, 'empty', (s) => s.scriptDurationMs),
    taskDuration: medianDelta(rounds, variant, 'empty', (s) => s.taskDurationMs),
  };
}

/** How many of the heaviest functions a profile summary keeps. */
const PROFILE_TOP = 12;

/** The profiler's pseudo-nodes for time outside any JavaScript function. */
const NOT_JAVASCRIPT = new Set(['(idle)', '(program)', '(root)']);

/**
 * Self time per function over several profiles: each sample's time delta is
 * charged to the node it landed in, grouped by function and source position;
 * medians over the loads, so one load the machine stalled does not dominate.
 */
export function summarizeProfiles(profiles: CpuProfile[], scriptUrl: string): VariantProfile {
  const perFunction = new Map<string, { functionName: string; location: string; ms: number[] }>();
  const scriptMs: number[] = [];
  profiles.forEach((profile, load) => {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    let scriptSelf = 0;
    // timeDeltas[i] is the time before sample i; the sample's own time is the next delta.
    for (let i = 0; i < samples.length; i++) {
      const node = nodes.get(samples[i] as number);
      const ms = (deltas[i + 1] ?? 0) / 1000;
      if (!node || ms <= 0 || NOT_JAVASCRIPT.has(node.callFrame.functionName)) continue;
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      const location = url ? `${url}:${lineNumber + 1}:${columnNumber + 1}` : '';
      const name = functionName || '(anonymous)';
      const key = `${name} ${location}`;
      let entry = perFunction.get(key);
      if (!entry) {
        entry = { functionName: name, location, ms: new Array<number>(profiles.length).fill(0) };
        perFunction.set(key, entry);
      }
      entry.ms[load] = (entry.ms[load] ?? 0) + ms;
      if (url === scriptUrl) scriptSelf += ms;
    }
    scriptMs.push(scriptSelf);
  });
  const top = [...perFunction.values()]
    .map(({ functionName, location, ms }) => ({
      functionName,
      location,
      selfMsPerLoad: summarize(ms).median,
    }))
    .filter((f) => f.selfMsPerLoad > 0)
    .sort((a, b) => b.selfMsPerLoad - a.selfMsPerLoad)
    .slice(0, PROFILE_TOP);
  return {
    loads: profiles.length,
    samplingIntervalMicros: PROFILE_INTERVAL_MICROS,
    scriptSelfMsPerLoad: scriptMs.length > 0 ? summarize(scriptMs).median : 0,
    top,
  };
}

export interface MainThreadOptions {
  /** Page loads per variant (each in a fresh context). */
  loads?: number;
  /** Loads per variant run first and thrown away (browser start-up noise). */
  warmupLoads?: number;
  /** Stop starting new rounds after this long (keeps `npm run bench` bounded). */
  timeLimitMs?: number;
  /** Extra loads per script under the CDP sampling profiler (0: no profile). */
  profileLoads?: number;
}

async function inFreshContext<T>(
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

/**
 * Loads the page `loads` times with each script (dist/xcapi.js, Plausible's
 * tracker, an empty script), one of each per round, rotating which goes first.
 *
 * @example
 * const figures = await measureClientMainThread({ loads: 50 });
 * console.log(figures.pairedDeltaMs.scriptDuration, figures.plausibleDeltaMs.scriptDuration);
 */
export async function measureClientMainThread({
  loads = 50,
  warmupLoads = 3,
  timeLimitMs = 120_000,
  profileLoads = 0,
}: MainThreadOptions = {}): Promise<ClientMainThread> {
  const deadline = performance.now() + timeLimitMs;
  const scripts: Record<Variant, string> = {
    xcapi: await readFile('dist/xcapi.js', 'utf8'),
    plausible: await plausibleScript(SHOP),
    empty: '',
  };
  const browser = await chromium.launch({
    executablePath: CHROMIUM_EXECUTABLE,
    // `navigator.webdriver` stays false, as in a visitor's browser: Plausible's
    // tracker sends nothing when it is true.
    args: [...CHROMIUM_ARGS, '--disable-blink-features=AutomationControlled'],
    timeout: 60_000,
  });
  try {
    const rounds: Round[] = [];
    for (let i = 0; i < warmupLoads + loads && performance.now() < deadline; i++) {
      const order = VARIANTS.map((_, k) => VARIANTS[(i + k) % VARIANTS.length] as Variant);
      const round: Partial<Round> = {};
      for (const variant of order) {
        round[variant] = (
          await inFreshContext(browser, (context) => loadOnce(context, variant, scripts[variant]))
        ).sample;
      }
      if (i >= warmupLoads) rounds.push(round as Round);
    }
    if (rounds.length === 0) throw new Error(`no measured load within ${timeLimitMs} ms`);

    let profiles: ClientMainThread['profiles'];
    if (profileLoads > 0) {
      const collected: Record<'xcapi' | 'plausible', CpuProfile[]> = { xcapi: [], plausible: [] };
      for (let i = 0; i < profileLoads && performance.now() < deadline; i++) {
        for (const variant of ['xcapi', 'plausible'] as const) {
          const { profile } = await inFreshContext(browser, (context) =>
            loadOnce(context, variant, scripts[variant], true),
          );
          if (profile) collected[variant].push(profile);
        }
      }
      profiles = {
        xcapi: summarizeProfiles(collected.xcapi, SCRIPT_URL),
        plausible: summarizeProfiles(collected.plausible, SCRIPT_URL),
      };
    }

    const pick = (variant: Variant) => rounds.map((round) => round[variant]);
    return {
      loadsPerVariant: rounds.length,
      loadsAsked: loads,
      pageUrl: PAGE_URL,
      xcapi: figuresFor(pick('xcapi')),
      plausible: figuresFor(pick('plausible')),
      empty: figuresFor(pick('empty')),
      pairedDeltaMs: pairedDelta(rounds, 'xcapi'),
      plausibleDeltaMs: pairedDelta(rounds, 'plausible'),
      xcapiMinusPlausibleScriptMs: medianDelta(
        rounds,
        'xcapi',
        'plausible',
        (s) => s.scriptDurationMs,
      ),
      ...(profiles ? { profiles } : {}),
    };
  } finally {
    await browser.close();
  }
}

function numberArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? Number.NaN : Number(process.argv[index + 1]);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

if (import.meta.filename === process.argv[1]) {
  const figures = await measureClientMainThread({
    loads: numberArg('--loads', 20),
    warmupLoads: numberArg('--warmup', 2),
    timeLimitMs: numberArg('--limit', 300) * 1000,
    profileLoads: process.argv.includes('--profile') ? numberArg('--profile', 10) : 0,
  });
  console.log(JSON.stringify(figures, null, 2));
}
