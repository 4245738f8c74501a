/**
 * @module
 * Judges a row with the edge's own rules before it is sent: the event schema
 * (fields, formats, ranges) and `buildConversion` (configured event names,
 * usable identifiers), imported from the edge itself so the two cannot drift.
 * The edge still has the last word: what it refuses anyway is reported from
 * its answer.
 */
import { parseConfig } from '../../edge/config.ts';
import { buildConversion } from '../../edge/ingest/build-conversion.ts';
import { validateEvents } from '../../edge/ingest/event-schema.ts';
import { CliError, formatXError, xErrorsOf } from '../errors.ts';
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
export function createRowValidator({ events, phoneCountry = 'US' }: RowValidatorOptions = {}) {
  if (!/^[A-Z]{2}$/.test(phoneCountry)) {
    throw new CliError('--phone-country must be a two-letter ISO 3166 country code such as US');
  }
  const eventMap: Record<string, string> = Object.create(null);
  if (Array.isArray(events)) for (const name of events) eventMap[name] = ANY_TAG;
  else if (events) Object.assign(eventMap, events);
  const checkNames = events !== undefined;

  const result = parseConfig({
    X_PIXEL_ID: 'csvupload',
    X_EVENTS: JSON.stringify(checkNames ? eventMap : { any: ANY_TAG }),
    PHONE_DEFAULT_COUNTRY: phoneCountry,
  });
  if (!result.ok) throw new CliError(`cannot judge rows: ${result.problems.join('; ')}`);
  const { config } = result;

  return async function validateRow(event: EventObject): Promise<RowVerdict> {
    const validated = validateEvents(event);
    if (!validated.ok) {
      return { ok: false, reason: validated.errors.map(formatXError).join('; ') };
    }
    const input = validated.value[0];
    if (input === undefined) return { ok: false, reason: 'no event' };
    try {
      await buildConversion(input, {
        config: checkNames ? config : { ...config, events: { [input.event]: ANY_TAG } },
      });
      return { ok: true };
    } catch (error) {
      const errors = xErrorsOf(error);
      if (errors.length === 0) throw error;
      return { ok: false, reason: errors.map(formatXError).join('; ') };
    }
  };
}

export type RowValidator = ReturnType<typeof createRowValidator>;
