/**
 * @module
 * The delivery state `/health` reports, derived from what the ledger
 * remembers about the last tries. Pure, so each state has a table test.
 *
 * - `blocked`: X refuses our credentials or pixel (401, 403, 404 for the
 *   pixel). Nothing can be delivered until someone fixes the configuration;
 *   conversions are held, not lost. `/health` answers 503 so a monitor pages.
 * - `degraded`: conversions flow but some wait: X answered 5xx or timed out on
 *   the latest try, the rate budget is spent, or X refuses one event's tag.
 * - `ok`: otherwise.
 */

export type DeliveryState = 'ok' | 'degraded' | 'blocked';

export interface DeliveryHealth {
  state: DeliveryState;
  /** ISO time the state began. */
  since: string;
  reason: string | null;
}

/** What the ledger keeps about the pixel's recent tries (epoch milliseconds). */
export interface DeliveryFlags {
  blocked?: { since: number; reason: string };
  /** Events whose tag X refused (404), oldest first. */
  isolated: { event: string; since: number; reason: string }[];
  failing?: { since: number; reason: string };
  budget?: { since: number; until: number };
  /** When the state last went back towards ok. */
  changedAt: number;
}

/**
 * The delivery state at `now`.
 *
 * @example
 * deliveryHealth({ isolated: [], changedAt: 0 }, Date.now()); // { state: 'ok', since: '1970-...', reason: null }
 */
export function deliveryHealth(flags: DeliveryFlags, now: number): DeliveryHealth {
  const at = (ms: number) => new Date(ms).toISOString();
  if (flags.blocked) {
    return { state: 'blocked', since: at(flags.blocked.since), reason: flags.blocked.reason };
  }
  const [isolated] = flags.isolated;
  if (isolated) {
    const more = flags.isolated.length > 1 ? ` (and ${flags.isolated.length - 1} more events)` : '';
    return {
      state: 'degraded',
      since: at(isolated.since),
      reason: `event ${isolated.event} waits: ${isolated.reason}${more}`,
    };
  }
  if (flags.failing) {
    return { state: 'degraded', since: at(flags.failing.since), reason: flags.failing.reason };
  }
  if (flags.budget && flags.budget.until > now) {
    return {
      state: 'degraded',
      since: at(flags.budget.since),
      reason: `rate budget spent: conversions wait until ${at(flags.budget.until)}`,
    };
  }
  const since = Math.max(flags.changedAt, flags.budget?.until ?? 0);
  return { state: 'ok', since: at(since), reason: null };
}

/**
 * The state for anyone who asks (`/health` without the server key): X's own
 * words can name the pixel or an event's tag, so they are left out.
 *
 * @example
 * publicHealth({ state: 'blocked', since, reason: 'X answers 401: credentials refused (Invalid or expired token)' });
 * // { state: 'blocked', since, reason: 'X answers 401: credentials refused' }
 */
export function publicHealth(health: DeliveryHealth): DeliveryHealth {
  const { reason } = health;
  if (reason === null) return health;
  const brief = /^event \S+ waits: /.test(reason)
    ? 'an event waits: X refuses its tag (404)'
    : reason.replace(/ \(.*\)$/s, '');
  return { ...health, reason: brief };
}
