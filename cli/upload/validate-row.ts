/**
 * @module
 * Judges a row with the edge's own rules before it is sent: `validateEvent`
 * (edge/ingest/validate-event.ts: the events schema, then the conversion X
 * gets: configured event names, usable identifiers, exact amounts, the age of
 * `conversion_time`), imported from the edge itself so the two cannot drift.
 * The edge still has the last word: what it refuses anyway is reported from
 * its answer, as are its warnings for what it left out.
 */
import type { EventRules } from '../../edge/ingest/build-conversion.ts';
import { validateEvent } from '../../edge/ingest/validate-event.ts';
import { SETTINGS } from '../../edge/settings.ts';
import { CliError, formatXError } from '../errors.ts';
import type { EventObject } from './map-row.ts';

export type RowVerdict = { ok: true } | { ok: false; reason: string };

export interface RowValidatorOptions {
  /**
   * Configured event names (with their tag ids when the edge gave them);
   * undefined when no edge was asked (an offline dry run): any name passes.
   */
  events?: Record<string, string> | readonly string[];
  /** The edge's `PHONE_DEFAULT_COUNTRY`, for numbers written without `+`. */
  phoneCountry?: string;
  /** The edge's `MAX_CONVERSION_AGE_DAYS`. */
  maxConversionAgeDays?: number;
}

/** A placeholder tag for event names the edge listed without their ids. */
const ANY_TAG = 'csvupload';

/**
 * Creates the row judge.
 *
 * @example
 * const validate = createRowValidator({ events: ['purchase'] });
 * await validate({ event: 'purchase', email: 'a@b.example' }); // { ok: true }
 */
export function createRowValidator({
  events,
  phoneCountry = SETTINGS.PHONE_DEFAULT_COUNTRY.default,
  maxConversionAgeDays = SETTINGS.MAX_CONVERSION_AGE_DAYS.default,
}: RowValidatorOptions = {}) {
  if (!/^[A-Z]{2}$/.test(phoneCountry)) {
    throw new CliError('--phone-country must be a two-letter ISO 3166 country code such as US');
  }
  const eventMap: Record<string, string> = Object.create(null);
  if (Array.isArray(events)) for (const name of events) eventMap[name] = ANY_TAG;
  else if (events) Object.assign(eventMap, events);
  const rules: EventRules = {
    events: eventMap,
    phoneDefaultCountry: phoneCountry,
    maxConversionAgeDays,
  };

  return async function validateRow(event: EventObject): Promise<RowVerdict> {
    const outcome = await validateEvent(event, {
      caller: 'server',
      // An offline dry run knows no event names: any name passes.
      rules:
        events === undefined || typeof event.event !== 'string'
          ? { ...rules, events: { [String(event.event)]: ANY_TAG } }
          : rules,
    });
    return outcome.ok
      ? { ok: true }
      : { ok: false, reason: outcome.errors.map(formatXError).join('; ') };
  };
}

export type RowValidator = ReturnType<typeof createRowValidator>;
