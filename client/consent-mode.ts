/**
 * @module
 * Google Consent Mode v2 as `gtag('consent', 'default' | 'update', {...})` leaves it
 * on the dataLayer. Storing the click id needs `ad_storage`, sending a conversion
 * `ad_user_data` as well: the script has one notion of consent, so both must be
 * `granted`. An `update` wins over what came before it, key by key. Defaults may
 * carry a `region`, which a browser cannot check: a regional default applies to
 * every visitor, and a denied default is not lifted by another default, only by an
 * update, so a default meant for some regions never grants where it should deny.
 */

/** The keys that decide, each `granted` or `denied` (anything else counts as not granted). */
const KEYS = ['ad_storage', 'ad_user_data'] as const;

type Keys = Partial<Record<(typeof KEYS)[number], unknown>>;

/** What the consent commands seen so far say. */
export interface ConsentModeState {
  defaults: Keys;
  updates: Keys;
}

/**
 * Applies one dataLayer entry to `state`; true when it was a consent command.
 *
 * @example
 * const state = { defaults: {}, updates: {} };
 * applyConsentCommand(state, ['consent', 'update', { ad_storage: 'granted' }]); // true
 */
export function applyConsentCommand(state: ConsentModeState, entry: unknown): boolean {
  // gtag pushes its `arguments` object: array-like, not an array.
  const { 0: command, 1: kind, 2: keys } = (entry ?? {}) as { 0?: unknown; 1?: unknown; 2?: Keys };
  if (command !== 'consent' || !keys || typeof keys !== 'object') return false;
  const target =
    kind === 'update' ? state.updates : kind === 'default' ? state.defaults : undefined;
  if (!target) return false;
  for (const key of KEYS) {
    if (key in keys && (target === state.updates || target[key] !== 'denied')) {
      target[key] = keys[key];
    }
  }
  return true;
}

/** Whether `ad_storage` and `ad_user_data` are both granted, updates before defaults. */
export function consentModeGranted({ defaults, updates }: ConsentModeState): boolean {
  return KEYS.every((key) => (key in updates ? updates[key] : defaults[key]) === 'granted');
}
