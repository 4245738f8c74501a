/**
 * @module
 * The browser script's main-thread cost in Chromium (Debian's
 * /usr/bin/chromium through playwright-core), over many fresh page loads of a
 * shop page opened from an ad click (`?twclid=` in the URL), with the whole
 * network answered in-process so only script work is on the clock. Each load
 * runs in a new browser context (empty HTTP and code caches: a first visit).
 *
 * Four scripts, loaded the same way at the same URL (./lib/landing-page.ts),
 * and the same page without any script, interleaved load by load:
 * dist/xcapi.js, the minimal correct capture (./lib/minimal-capture.ts, the
 * least any script doing this job runs), Plausible's official tracker
 * (./lib/plausible.ts, the measured peer), an empty script and no script at
 * all. Each script's own cost is given over both baselines: over the empty
 * script tag (what the script's code adds once a page runs any JavaScript)
 * and over the page without any script (that plus the fixed price of running
 * JavaScript on the page at all, which every script pays). Two figures per load:
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
import { SHOP_ORIGIN } from '../test/rig/beacon.ts';
import {
  type CpuProfile,
  inFreshContext,
  type LoadSample,
  launchLandingBrowser,
  loadInRounds,
  loadLanding,
  medianDifference,
  NO_SCRIPT,
  PAGE_URL,
  PROFILE_INTERVAL_MICROS,
  type Round,
  type RoundsOptions,
  SCRIPT_URL,
} from './lib/landing-page.ts';
import { MINIMAL_CAPTURE_SCRIPT } from './lib/minimal-capture.ts';
import { numberArg } from './lib/number-arg.ts';
import { plausibleScript } from './lib/plausible.ts';
import { type SampleSummary, summarize } from './lib/stats.ts';

export type { CpuProfile } from './lib/landing-page.ts';

export type Variant = 'xcapi' | 'minimal' | 'plausible' | 'empty' | 'none';

/**
 * What a script's own cost is measured over: the page with an empty script
 * at the tag (`emptyScript`), or the page without any script (`noScript`).
 */
export type Baseline = 'emptyScript' | 'noScript';

/** The baseline variant each `Baseline` subtracts. */
const BASELINE_VARIANT: Record<Baseline, Variant> = { emptyScript: 'empty', noScript: 'none' };

export interface VariantFigures {
  evaluationMs: SampleSummary;
  scriptDurationMs: SampleSummary;
  taskDurationMs: SampleSummary;
  loadsThatStoredTwclid: number;
  loadsThatSentBeacon: number;
}

/** Median of the per-load differences script - baseline (loads run in interleaved rounds). */
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

/** Each measured script's own cost over one baseline. */
export interface OwnCosts {
  xcapi: PairedDelta;
  /** The hand-written minimal capture (./lib/minimal-capture.ts). */
  minimal: PairedDelta;
  /** Plausible's tracker (./lib/plausible.ts). */
  plausible: PairedDelta;
}

export interface ClientMainThread {
  /** Measured loads per variant (fewer than asked when the time limit hit first). */
  loadsPerVariant: number;
  loadsAsked: number;
  pageUrl: string;
  xcapi: VariantFigures;
  /** The hand-written minimal capture (./lib/minimal-capture.ts). */
  minimal: VariantFigures;
  /** Plausible's tracker (./lib/plausible.ts). */
  plausible: VariantFigures;
  /** An empty script at the tag. */
  empty: VariantFigures;
  /** The page without any script (no tag, no marks). */
  none: VariantFigures;
  /** Own costs over each baseline. */
  ownCosts: Record<Baseline, OwnCosts>;
  /** Median of the per-round ScriptDuration differences xcapi - plausible. */
  xcapiMinusPlausibleScriptMs: number;
  /** Median of the per-round ScriptDuration differences xcapi - minimal capture. */
  xcapiMinusMinimalScriptMs: number;
  /** CDP profiles, when asked for. */
  profiles?: { xcapi: VariantProfile; plausible: VariantProfile };
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

function pairedDelta(rounds: Round<Variant>[], variant: Variant, base: Variant): PairedDelta {
  return {
    evaluation: medianDifference(rounds, variant, base, (s) => s.evaluationMs),
    scriptDuration: medianDifference(rounds, variant, base, (s) => s.scriptDurationMs),
    taskDuration: medianDifference(rounds, variant, base, (s) => s.taskDurationMs),
  };
}

function ownCostsOver(rounds: Round<Variant>[], baseline: Baseline): OwnCosts {
  const base = BASELINE_VARIANT[baseline];
  return {
    xcapi: pairedDelta(rounds, 'xcapi', base),
    minimal: pairedDelta(rounds, 'minimal', base),
    plausible: pairedDelta(rounds, 'plausible', base),
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

export interface MainThreadOptions extends RoundsOptions {
  /** Extra loads per script under the CDP sampling profiler (0: no profile). */
  profileLoads?: number;
}

/**
 * Loads the page `loads` times with each script (dist/xcapi.js, the minimal
 * capture, Plausible's tracker, an empty script) and without any script, one
 * of each per round, rotating which goes first.
 *
 * @example
 * const figures = await measureClientMainThread({ loads: 50 });
 * const { xcapi, plausible } = figures.ownCosts.noScript;
 * console.log(xcapi.scriptDuration, plausible.scriptDuration);
 */
export async function measureClientMainThread({
  loads = 50,
  warmupLoads = 3,
  timeLimitMs = 120_000,
  profileLoads = 0,
}: MainThreadOptions = {}): Promise<ClientMainThread> {
  const deadline = performance.now() + timeLimitMs;
  const scripts: Record<Variant, string | typeof NO_SCRIPT> = {
    xcapi: await readFile('dist/xcapi.js', 'utf8'),
    minimal: MINIMAL_CAPTURE_SCRIPT,
    plausible: await plausibleScript(SHOP_ORIGIN),
    empty: '',
    none: NO_SCRIPT,
  };
  const browser = await launchLandingBrowser();
  try {
    const rounds = await loadInRounds(browser, scripts, loads, warmupLoads, deadline);
    if (rounds.length === 0) throw new Error(`no measured load within ${timeLimitMs} ms`);

    let profiles: ClientMainThread['profiles'];
    if (profileLoads > 0) {
      const collected: Record<'xcapi' | 'plausible', CpuProfile[]> = { xcapi: [], plausible: [] };
      for (let i = 0; i < profileLoads && performance.now() < deadline; i++) {
        for (const variant of ['xcapi', 'plausible'] as const) {
          const { profile } = await inFreshContext(browser, (context) =>
            loadLanding(context, scripts[variant], { profile: true }),
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
      minimal: figuresFor(pick('minimal')),
      plausible: figuresFor(pick('plausible')),
      empty: figuresFor(pick('empty')),
      none: figuresFor(pick('none')),
      ownCosts: {
        emptyScript: ownCostsOver(rounds, 'emptyScript'),
        noScript: ownCostsOver(rounds, 'noScript'),
      },
      xcapiMinusPlausibleScriptMs: medianDifference(
        rounds,
        'xcapi',
        'plausible',
        (s) => s.scriptDurationMs,
      ),
      xcapiMinusMinimalScriptMs: medianDifference(
        rounds,
        'xcapi',
        'minimal',
        (s) => s.scriptDurationMs,
      ),
      ...(profiles ? { profiles } : {}),
    };
  } finally {
    await browser.close();
  }
}

/** How each baseline is named wherever a figure over it is printed. */
export const BASELINE_LABEL: Record<Baseline, string> = {
  noScript: 'over an empty page (no script at all)',
  emptyScript: 'over a page with an empty script tag',
};

/** xcapi's own JavaScript CPU over Plausible's (both over `baseline`), or undefined. */
export function mainThreadRatio(m: ClientMainThread, baseline: Baseline): number | undefined {
  const { xcapi, plausible } = m.ownCosts[baseline];
  return plausible.scriptDuration > 0 ? xcapi.scriptDuration / plausible.scriptDuration : undefined;
}

/** xcapi's own JavaScript CPU over the minimal capture's (both over `baseline`), or undefined. */
export function minimalCaptureRatio(m: ClientMainThread, baseline: Baseline): number | undefined {
  const { xcapi, minimal } = m.ownCosts[baseline];
  return minimal.scriptDuration > 0 ? xcapi.scriptDuration / minimal.scriptDuration : undefined;
}

/**
 * One line for the console: ScriptDuration per variant, then own costs and
 * ratios over each baseline, each labelled.
 */
export function summarizeMainThread(m: ClientMainThread): string {
  const cpu = (v: VariantFigures) =>
    `${v.scriptDurationMs.median.toFixed(2)} ms (p90 ${v.scriptDurationMs.p90.toFixed(2)})`;
  const ratio = (value: number | undefined) => value?.toFixed(2) ?? 'n/a';
  const over = (b: Baseline) => {
    const own = m.ownCosts[b];
    return `own CPU ${BASELINE_LABEL[b]}: xcapi ${own.xcapi.scriptDuration.toFixed(2)} ms, minimal capture ${own.minimal.scriptDuration.toFixed(2)} ms, Plausible ${own.plausible.scriptDuration.toFixed(2)} ms, xcapi/minimal ${ratio(minimalCaptureRatio(m, b))}, xcapi/Plausible ${ratio(mainThreadRatio(m, b))}`;
  };
  return `main thread (${m.loadsPerVariant} loads each): ScriptDuration xcapi ${cpu(m.xcapi)}, Plausible ${cpu(m.plausible)}, empty script ${cpu(m.empty)}, no script ${cpu(m.none)}; ${over('noScript')}; ${over('emptyScript')}`;
}

/** Counts and seconds: whole numbers, 0 included. */
const count = (value: number) => Number.isInteger(value) && value >= 0;

if (import.meta.filename === process.argv[1]) {
  const figures = await measureClientMainThread({
    loads: numberArg('--loads', 20, count),
    warmupLoads: numberArg('--warmup', 2, count),
    timeLimitMs: numberArg('--limit', 300, count) * 1000,
    profileLoads: process.argv.includes('--profile') ? numberArg('--profile', 10, count) : 0,
  });
  console.log(JSON.stringify(figures, null, 2));
  console.log(summarizeMainThread(figures));
}
