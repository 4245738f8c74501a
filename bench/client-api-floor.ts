/**
 * @module
 * What a fresh page pays for the first touch of each Web API a click-id
 * capture needs. Blink creates the JavaScript bindings of an API lazily, the
 * first time a script in the page uses it, so in a first visit each API costs
 * a fixed amount of main-thread CPU however little the script does with it.
 *
 * Each probe is a one-line script served as `/xcapi.js` on the same landing
 * and measured the same way as section 2's scripts (./lib/landing-page.ts:
 * CDP `ScriptDuration` in thread CPU time at `load`, a new browser context per
 * load), all probes and an empty script interleaved load by load. A probe's
 * own cost is the median of its per-round differences with the empty script;
 * the control probe (a `var` statement) is what any non-empty script costs.
 * The control plus each needed API's cost over the control is the floor: the
 * least any script doing this job pays on this page.
 *
 *     node bench/client-api-floor.ts [--loads 15] [--warmup 1] [--limit 120 (seconds)]
 */
import { parseArgs } from 'node:util';
import {
  launchLandingBrowser,
  loadInRounds,
  medianDifference,
  PAGE_URL,
  type RoundsOptions,
  TWCLID,
} from './lib/landing-page.ts';
import { type SampleSummary, summarize } from './lib/stats.ts';

export interface ApiProbe {
  /** The Web API the probe touches first. */
  api: string;
  /** The whole probe script. */
  script: string;
  /** The minimal capture (./lib/minimal-capture.ts) touches it. */
  neededByCapture: boolean;
  /** `dist/xcapi.js` touches it while the landing loads. */
  usedByXcapi: boolean;
}

/** The probe that touches no Web API: the cost of running any script at all. */
export const CONTROL_API = '`var` statement (control)';

/** One line each, written the way the scripts call them. */
export const API_PROBES: readonly ApiProbe[] = [
  {
    api: '`document.currentScript` + `getAttribute`',
    script: "document.currentScript.getAttribute('data-endpoint');",
    neededByCapture: true,
    usedByXcapi: true,
  },
  {
    api: '`location.search` + a regex',
    script: '/[?&]twclid=([\\w-]{1,128})(?:[&#]|$)/.exec(location.search);',
    neededByCapture: true,
    usedByXcapi: true,
  },
  {
    api: '`navigator.globalPrivacyControl`',
    script: 'navigator.globalPrivacyControl;',
    neededByCapture: true,
    usedByXcapi: true,
  },
  {
    api: '`document.cookie` write',
    script: `document.cookie = '_twclid=${TWCLID}; path=/; SameSite=Lax; Secure';`,
    neededByCapture: true,
    usedByXcapi: true,
  },
  {
    api: '`localStorage.setItem`',
    script: `localStorage.setItem('_twclid', '${TWCLID}');`,
    neededByCapture: true,
    usedByXcapi: true,
  },
  {
    api: '`fetch` POST, `keepalive`, with credentials',
    script: `fetch('/click', { method: 'POST', body: '{"twclid":"${TWCLID}"}', keepalive: true, credentials: 'include' }).catch(() => {});`,
    neededByCapture: true,
    usedByXcapi: true,
  },
  {
    api: '`navigator.sendBeacon`',
    script: `navigator.sendBeacon('/events', '{"event":"purchase"}');`,
    neededByCapture: false,
    usedByXcapi: false,
  },
  {
    api: '`history.pushState` / `replaceState` wrapped',
    script:
      "for (const m of ['pushState', 'replaceState']) { const o = history[m]; history[m] = function (...a) { o.apply(this, a); }; }",
    neededByCapture: false,
    usedByXcapi: true,
  },
  {
    api: '`addEventListener`',
    script: "addEventListener('pagehide', () => {});",
    neededByCapture: false,
    usedByXcapi: true,
  },
  {
    api: '`setTimeout`',
    script: 'setTimeout(() => {});',
    neededByCapture: false,
    usedByXcapi: true,
  },
  {
    api: CONTROL_API,
    script: 'var a = 1 + 1;',
    neededByCapture: true,
    usedByXcapi: true,
  },
];

export interface ApiProbeFigures extends ApiProbe {
  /** Median of the per-round ScriptDuration differences probe - empty script. */
  ownScriptMs: number;
  scriptDurationMs: SampleSummary;
  loadsThatStoredTwclid: number;
  loadsThatSentBeacon: number;
}

export interface ApiFloor {
  /** Measured loads per probe (fewer than asked when the time limit hit first). */
  loadsPerProbe: number;
  loadsAsked: number;
  pageUrl: string;
  /** ScriptDuration of the empty script, the baseline of every probe. */
  emptyScriptDurationMs: SampleSummary;
  probes: ApiProbeFigures[];
  /** The control's own cost plus, for each API the capture needs, its own cost over the control's. */
  captureFloorMs: number;
}

/**
 * The control plus each needed API's cost over the control: first touches
 * add up, the cost of running a script at all is paid once.
 */
export function captureFloor(probes: readonly ApiProbeFigures[]): number {
  const control = probes.find((probe) => probe.api === CONTROL_API)?.ownScriptMs ?? 0;
  return probes
    .filter((probe) => probe.neededByCapture && probe.api !== CONTROL_API)
    .reduce((floor, probe) => floor + probe.ownScriptMs - control, control);
}

/**
 * Loads the landing `loads` times with each probe and with the empty script,
 * one of each per round, rotating which goes first.
 *
 * @example
 * const floor = await measureApiFloor({ loads: 15 });
 * console.log(floor.captureFloorMs);
 */
export async function measureApiFloor({
  loads = 15,
  warmupLoads = 1,
  timeLimitMs = 120_000,
}: RoundsOptions = {}): Promise<ApiFloor> {
  const deadline = performance.now() + timeLimitMs;
  const scripts: Record<string, string> = { empty: '' };
  API_PROBES.forEach((probe, i) => {
    scripts[`probe${i}`] = probe.script;
  });
  const browser = await launchLandingBrowser();
  try {
    const rounds = await loadInRounds(browser, scripts, loads, warmupLoads, deadline);
    if (rounds.length === 0) throw new Error(`no measured load within ${timeLimitMs} ms`);
    const probes = API_PROBES.map((probe, i): ApiProbeFigures => {
      const key = `probe${i}`;
      const samples = rounds.map((round) => round[key]).filter((sample) => sample !== undefined);
      return {
        ...probe,
        ownScriptMs: medianDifference(rounds, key, 'empty', (s) => s.scriptDurationMs),
        scriptDurationMs: summarize(samples.map((s) => s.scriptDurationMs)),
        loadsThatStoredTwclid: samples.filter((s) => s.storedTwclid).length,
        loadsThatSentBeacon: samples.filter((s) => s.beaconRequests > 0).length,
      };
    });
    return {
      loadsPerProbe: rounds.length,
      loadsAsked: loads,
      pageUrl: PAGE_URL,
      emptyScriptDurationMs: summarize(
        rounds.map((round) => round.empty).map((s) => s?.scriptDurationMs ?? Number.NaN),
      ),
      probes,
      captureFloorMs: captureFloor(probes),
    };
  } finally {
    await browser.close();
  }
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      loads: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '1' },
      limit: { type: 'string', default: '120' },
    },
  });
  const figures = await measureApiFloor({
    loads: Number(values.loads),
    warmupLoads: Number(values.warmup),
    timeLimitMs: Number(values.limit) * 1000,
  });
  console.log(JSON.stringify(figures, null, 2));
}
