import { describe, expect, it } from 'vitest';
import { applyConsentCommand, type ConsentModeState, consentModeGranted } from './consent-mode.ts';

/** What gtag() pushes: its `arguments` object, not an array. */
function gtagArguments(..._args: unknown[]): IArguments {
  // biome-ignore lint/complexity/noArguments: the point is the arguments object itself
  return arguments;
}

function stateAfter(...entries: unknown[]): ConsentModeState {
  const state: ConsentModeState = { defaults: {}, updates: {} };
  for (const entry of entries) applyConsentCommand(state, entry);
  return state;
}

const both = (value: string) => ({ ad_storage: value, ad_user_data: value });

describe('Consent Mode v2 on the dataLayer', () => {
  it('reads gtag arguments objects and arrays alike; other entries are not consent commands', () => {
    const state: ConsentModeState = { defaults: {}, updates: {} };
    expect(applyConsentCommand(state, gtagArguments('consent', 'default', both('granted')))).toBe(
      true,
    );
    expect(consentModeGranted(state)).toBe(true);
    expect(applyConsentCommand(state, ['consent', 'update', both('denied')])).toBe(true);
    expect(consentModeGranted(state)).toBe(false);
    for (const other of [
      { event: 'purchase' },
      gtagArguments('event', 'purchase', {}),
      ['consent', 'reset', both('granted')],
      ['consent', 'update'],
      null,
      'consent',
    ]) {
      expect(applyConsentCommand(state, other)).toBe(false);
    }
    expect(consentModeGranted(state)).toBe(false);
  });

  it('needs ad_storage and ad_user_data both granted', () => {
    expect(consentModeGranted(stateAfter())).toBe(false);
    expect(consentModeGranted(stateAfter(['consent', 'default', { ad_storage: 'granted' }]))).toBe(
      false,
    );
    expect(
      consentModeGranted(
        stateAfter(['consent', 'update', { ...both('granted'), ad_user_data: 'denied' }]),
      ),
    ).toBe(false);
    expect(consentModeGranted(stateAfter(['consent', 'update', both('granted')]))).toBe(true);
  });

  it('an update wins over defaults key by key, and a later update over an earlier one', () => {
    const state = stateAfter(
      ['consent', 'default', both('denied')],
      ['consent', 'update', { ad_storage: 'granted' }],
    );
    expect(consentModeGranted(state)).toBe(false);
    applyConsentCommand(state, ['consent', 'update', { ad_user_data: 'granted' }]);
    expect(consentModeGranted(state)).toBe(true);
    applyConsentCommand(state, ['consent', 'update', { ad_storage: 'denied' }]);
    expect(consentModeGranted(state)).toBe(false);
    // A default after an update changes nothing the update set.
    applyConsentCommand(state, ['consent', 'default', both('granted')]);
    expect(consentModeGranted(state)).toBe(false);
  });

  it('a regional default applies everywhere; a later default does not lift its denial', () => {
    const state = stateAfter(
      ['consent', 'default', { ...both('denied'), region: ['DE', 'FR'] }],
      ['consent', 'default', both('granted')],
    );
    expect(consentModeGranted(state)).toBe(false);
    expect(
      consentModeGranted(
        stateAfter(['consent', 'default', { ...both('granted'), region: ['US'] }]),
      ),
    ).toBe(true);
  });
});
