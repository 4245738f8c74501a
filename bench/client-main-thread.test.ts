import { describe, expect, it } from 'vitest';
import {
  type CpuProfile,
  measureClientMainThread,
  summarizeProfiles,
} from './client-main-thread.ts';

const SCRIPT = 'https://shop.example/xcapi.js';

function frame(id: number, functionName: string, url = '') {
  return { id, callFrame: { functionName, url, lineNumber: 0, columnNumber: id } };
}

/** Samples land on nodes; sample i lasts timeDeltas[i + 1] µs. */
function profile(samples: number[], timeDeltas: number[]): CpuProfile {
  return {
    nodes: [
      frame(1, '(root)'),
      frame(2, '(program)'),
      frame(3, 'track', SCRIPT),
      frame(4, 'fetch'),
    ],
    samples,
    timeDeltas,
  };
}

describe('summarizeProfiles', () => {
  it("charges each sample's time to its function, medians over loads, without pseudo-nodes", () => {
    const summary = summarizeProfiles(
      [
        profile([3, 3, 4, 2], [0, 1000, 1000, 500, 9000]),
        profile([3, 4, 2], [0, 3000, 1500, 9000]),
        profile([4, 2], [0, 500, 9000]),
      ],
      SCRIPT,
    );
    expect(summary.loads).toBe(3);
    expect(summary.scriptSelfMsPerLoad).toBe(2);
    expect(summary.top).toEqual([
      { functionName: 'track', location: `${SCRIPT}:1:4`, selfMsPerLoad: 2 },
      { functionName: 'fetch', location: '', selfMsPerLoad: 0.5 },
    ]);
  });
});

describe('measureClientMainThread', () => {
  it('loads every script and the page without any script once per round; the minimal capture stores the click id and sends its beacon', async () => {
    const figures = await measureClientMainThread({ loads: 2, warmupLoads: 0 });
    expect(figures.loadsPerVariant).toBe(2);
    for (const variant of [
      figures.xcapi,
      figures.minimal,
      figures.plausible,
      figures.empty,
      figures.none,
    ]) {
      expect(variant.scriptDurationMs.samples).toBe(2);
    }
    expect(figures.xcapi).toMatchObject({ loadsThatStoredTwclid: 2, loadsThatSentBeacon: 2 });
    expect(figures.minimal).toMatchObject({ loadsThatStoredTwclid: 2, loadsThatSentBeacon: 2 });
    expect(figures.plausible).toMatchObject({ loadsThatStoredTwclid: 0, loadsThatSentBeacon: 2 });
    expect(figures.empty).toMatchObject({ loadsThatStoredTwclid: 0, loadsThatSentBeacon: 0 });
    expect(figures.none).toMatchObject({ loadsThatStoredTwclid: 0, loadsThatSentBeacon: 0 });
    // No script tag: nothing blocked the parser, and the page ran no JavaScript of its own.
    expect(figures.none.evaluationMs.max).toBe(0);
    expect(figures.none.scriptDurationMs.median).toBeLessThan(
      figures.empty.scriptDurationMs.median,
    );
    // Over the page without any script, a script's own cost carries the fixed price of running any.
    expect(figures.ownCosts.noScript.xcapi.scriptDuration).toBeGreaterThan(
      figures.ownCosts.emptyScript.xcapi.scriptDuration,
    );
    for (const figure of [
      figures.ownCosts.noScript.minimal.scriptDuration,
      figures.ownCosts.emptyScript.plausible.scriptDuration,
      figures.xcapiMinusMinimalScriptMs,
      figures.xcapiMinusPlausibleScriptMs,
    ]) {
      expect(Number.isFinite(figure)).toBe(true);
    }
  }, 90_000);
});
