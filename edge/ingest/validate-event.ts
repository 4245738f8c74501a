/**
 * @module
 * The whole of ingest's judgement of an event, as pure functions: shape
 * (./event-schema.ts), then the conversion X gets (./build-conversion.ts),
 * with the warnings for what was left out. No Hono context and nothing
 * Cloudflare-only in the module graph, so tools checking rows before sending
 * them (in Node) apply exactly the edge's rules.
 */

import type { SkippedConversion } from '../delivery/event-tallies.ts';
import { parameterError, type XErrorItem } from '../errors.ts';
import type { Caller } from '../http/server-auth.ts';
import type { XConversion } from '../x-api/conversion.ts';
import { buildConversion, type EventRules } from './build-conversion.ts';
import {
  eventObjectsOf,
  isBatch,
  MAX_ERRORS,
  parseEvent,
  SERVER_ONLY_FIELDS,
} from './event-schema.ts';
import type { RequestSignals } from './identifiers.ts';
import { type IngestWarning, parameterName } from './ingest-warning.ts';

export interface ValidateOptions {
  rules: EventRules;
  /** Server calls (bearer key) may send the server-only fields. */
  caller: Caller;
  /** Current time in ms; default `Date.now()`. */
  now?: number;
  /** Browser calls: what the request says about the user (cookie click id, IP, user agent). */
  signals?: RequestSignals;
  /** Prefix of parameters named in errors and warnings, e.g. `events[3]`. */
  prefix?: string;
}

/**
 * The conversion for X, or why the event is refused. With `skip`, the
 * conversion is acknowledged but must not be sent (the person denied
 * `ad_user_data`): the caller drops it.
 */
export type EventOutcome =
  | { ok: true; conversion: XConversion; warnings: IngestWarning[]; skip?: SkippedConversion }
  | { ok: false; errors: XErrorItem[] };

function serverOnlyField(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  return SERVER_ONLY_FIELDS.find((field) => Object.hasOwn(raw, field));
}

/**
 * Validates one event object and builds its conversion for X, or says why
 * it cannot be sent. Never throws for bad input.
 *
 * @example
 * const outcome = await validateEvent(
 *   { event: 'purchase', twclid: '26al4tn7x9n5o40h6sd2ds3kbt', phone: '12', value: '19.99' },
 *   { rules: { events: { purchase: 'o9d2g' }, phoneDefaultCountry: 'US', maxConversionAgeDays: 90 }, caller: 'server' },
 * );
 * // { ok: true, conversion: { value: '19.99', ... }, warnings: [{ code: 'IDENTIFIER_DROPPED', parameter: 'phone', ... }] }
 */
export async function validateEvent(raw: unknown, options: ValidateOptions): Promise<EventOutcome> {
  const prefix = options.prefix ?? '';
  if (options.caller === 'browser') {
    const field = serverOnlyField(raw);
    if (field !== undefined) {
      return {
        ok: false,
        errors: [
          parameterError(
            parameterName(prefix, field),
            `${field} is accepted only on server calls (Authorization: Bearer SERVER_KEY)`,
          ),
        ],
      };
    }
  }
  const parsed = parseEvent(raw, prefix);
  if (!parsed.ok) return parsed;
  const built = await buildConversion(parsed.value, {
    rules: options.rules,
    now: options.now ?? Date.now(),
    ...(options.signals ? { signals: options.signals } : {}),
    prefix,
  });
  // Judged in full first, so a denied event with a mistake in it is still
  // refused: the caller learns of the mistake either way.
  if (built.ok && parsed.value.consent?.ad_user_data === 'denied') {
    return {
      ok: true,
      conversion: built.conversion,
      skip: { event: parsed.value.event, reason: 'consent_denied' },
      warnings: [
        {
          code: 'CONSENT_DENIED',
          parameter: parameterName(prefix, 'consent.ad_user_data'),
          message:
            'ad_user_data is denied: the conversion was not sent to X and nothing of it was kept',
        },
      ],
    };
  }
  return built;
}

export type EventsOutcome =
  | {
      ok: true;
      conversions: XConversion[];
      /** Acknowledged but not sent (`CONSENT_DENIED` among the warnings says which). */
      skipped: SkippedConversion[];
      warnings: IngestWarning[];
    }
  | { ok: false; errors: XErrorItem[] };

/**
 * Validates a JSON body: one event object, or `{"events": [...]}` (each
 * event's parameters prefixed `events[i]`). All or nothing: one bad event
 * refuses the call, listing up to ten errors across its events.
 *
 * @example
 * const outcome = await validateEvents({ events: [a, b] }, { rules: config, caller: 'server' });
 * if (outcome.ok) outcome.conversions.length; // 2
 */
export async function validateEvents(
  body: unknown,
  options: Omit<ValidateOptions, 'prefix'>,
): Promise<EventsOutcome> {
  const list = eventObjectsOf(body);
  if (!list.ok) return list;
  const batch = isBatch(body);
  const now = options.now ?? Date.now();
  const conversions: XConversion[] = [];
  const skipped: SkippedConversion[] = [];
  const warnings: IngestWarning[] = [];
  const errors: XErrorItem[] = [];
  for (const [index, raw] of list.value.entries()) {
    const outcome = await validateEvent(raw, {
      ...options,
      now,
      prefix: batch ? `events[${index}]` : '',
    });
    if (outcome.ok) {
      if (outcome.skip) skipped.push(outcome.skip);
      else conversions.push(outcome.conversion);
      warnings.push(...outcome.warnings);
    } else {
      errors.push(...outcome.errors);
      if (errors.length >= MAX_ERRORS) break;
    }
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, MAX_ERRORS) };
  return { ok: true, conversions, skipped, warnings };
}
