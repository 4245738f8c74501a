import { describe, expect, it } from 'vitest';
import {
  API_PROBES,
  type ApiProbeFigures,
  CONTROL_API,
  captureFloor,
  measureApiFloor,
} from './client-api-floor.ts';
import { summarize } from './lib/stats.ts';

function probe(api: string, ownScriptMs: number, neededByCapture: boolean): ApiProbeFigures {
  return {
    api,
    script: '',
    neededByCapture,
    usedByXcapi: true,
    ownScriptMs,
    scriptDurationMs: summarize([ownScriptMs]),
    loadsThatStoredTwclid: 0,
    loadsThatSentBeacon: 0,
  };
}

describe('captureFloor', () => {
  it("counts the control once and each needed API's cost over the control", () => {
    const floor = captureFloor([
      probe('a', 0.5, true),
      probe('b', 0.3, true),
      probe('not needed', 0.9, false),
      probe(CONTROL_API, 0.1, true),
    ]);
    expect(floor).toBeCloseTo(0.1 + 0.4 + 0.2);
  });
});

describe('measureApiFloor', () => {
  it('loads every probe with the empty script; the cookie probe stores, the network probes send', async () => {
    const floor = await measureApiFloor({ loads: 1, warmupLoads: 0 });
    expect(floor.loadsPerProbe).toBe(1);
    expect(floor.probes.map((p) => p.api)).toEqual(API_PROBES.map((p) => p.api));
    const byApi = (text: string) => floor.probes.find((p) => p.api.includes(text));
    expect(byApi('document.cookie')?.loadsThatStoredTwclid).toBe(1);
    expect(byApi('fetch')?.loadsThatSentBeacon).toBe(1);
    expect(byApi('sendBeacon')?.loadsThatSentBeacon).toBe(1);
    expect(byApi('(control)')?.loadsThatSentBeacon).toBe(0);
    for (const p of floor.probes) expect(p.scriptDurationMs.samples).toBe(1);
  }, 90_000);
});
