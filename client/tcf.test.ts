import { describe, expect, it } from 'vitest';
import { tcfGranted } from './tcf.ts';

const tcData = (purposes: number[], vendors: number[] = [], gdprApplies = true) => ({
  gdprApplies,
  eventStatus: 'useractioncomplete',
  purpose: { consents: Object.fromEntries(purposes.map((p) => [p, true])) },
  vendor: { consents: Object.fromEntries(vendors.map((v) => [v, true])) },
});

describe('TCF v2.2 answers', () => {
  it('needs purposes 1 and 7 where GDPR applies', () => {
    expect(tcfGranted(tcData([1, 7]), true)).toBe(true);
    expect(tcfGranted(tcData([7]), true)).toBe(false);
    expect(tcfGranted(tcData([1]), true)).toBe(false);
    expect(tcfGranted(tcData([1, 2, 3, 4]), true)).toBe(false);
    expect(tcfGranted({ gdprApplies: true }, true)).toBe(false);
    expect(
      tcfGranted({ gdprApplies: true, purpose: { consents: { 1: false, 7: true } } }, true),
    ).toBe(false);
  });

  it('and the vendor the site names, when it names one', () => {
    expect(tcfGranted(tcData([1, 7], [321]), true, '321')).toBe(true);
    expect(tcfGranted(tcData([1, 7], [322]), true, '321')).toBe(false);
    expect(tcfGranted(tcData([1, 7]), true, '321')).toBe(false);
    expect(tcfGranted(tcData([1, 7]), true, null)).toBe(true);
  });

  it('is granted when GDPR does not apply, whatever the purposes', () => {
    expect(tcfGranted(tcData([], [], false), true, '321')).toBe(true);
    // Unknown is not "does not apply".
    expect(tcfGranted({ purpose: { consents: {} } }, true)).toBe(false);
  });

  it('a failed or empty answer is not consent', () => {
    expect(tcfGranted(tcData([1, 7]), false)).toBe(false);
    expect(tcfGranted(tcData([], [], false), false)).toBe(false);
    expect(tcfGranted(undefined, true)).toBe(false);
  });
});
