import { describe, expect, it } from 'vitest';
import { consentSources } from './consent-sources.ts';

describe('consent from several standards', () => {
  it('grants when every present standard grants, and reports only changes', () => {
    const changes: boolean[] = [];
    const answer = consentSources((granted) => changes.push(granted));
    answer('tcf', undefined);
    answer('gcm', true);
    expect(changes).toEqual([]);
    answer('tcf', true);
    answer('tcf', true);
    expect(changes).toEqual([true]);
    answer('gcm', false);
    expect(changes).toEqual([true, false]);
    answer('gcm', true);
    expect(changes).toEqual([true, false, true]);
    // A standard that stops answering (undefined) holds consent back again.
    answer('tcf', undefined);
    expect(changes).toEqual([true, false, true, false]);
  });

  it('a refusal before any grant reports nothing: held conversions keep waiting', () => {
    const changes: boolean[] = [];
    const answer = consentSources((granted) => changes.push(granted));
    answer('gcm', false);
    answer('tcf', false);
    expect(changes).toEqual([]);
  });
});
