/**
 * @module
 * Leaves out text fields that hold an email address or a phone number
 * (../identity/personal-data-in-text.ts states the rule) before anything is
 * queued: X receives these fields as they are, so one would reach X in the
 * clear. The conversion itself still goes, and the answer names each field
 * left out. A dropped `conversion_id` is replaced by a random one, as when
 * none is sent.
 */
import {
  holdsPersonalData,
  type PhoneCheckBudget,
  type TextKind,
} from '../identity/personal-data-in-text.ts';
import type { EventInput } from './event-schema.ts';
import { type IngestWarning, parameterName } from './ingest-warning.ts';

/**
 * Phone-number checks per event: far more than a real event's text needs,
 * few enough that no body can make them cost much CPU.
 */
export const PHONE_CHECKS_PER_EVENT = 16;

const EVENT_TEXT: ReadonlyArray<readonly ['description' | 'conversion_id', TextKind]> = [
  ['description', 'prose'],
  ['conversion_id', 'id'],
];
const CONTENT_TEXT: ReadonlyArray<
  readonly ['content_id' | 'content_name' | 'content_type' | 'content_group_id', TextKind]
> = [
  ['content_id', 'id'],
  ['content_name', 'prose'],
  ['content_type', 'prose'],
  ['content_group_id', 'id'],
];

function dropped(parameter: string): IngestWarning {
  return {
    code: 'PERSONAL_DATA_DROPPED',
    parameter,
    message: `${parameter.split('.').at(-1)} looks like it holds an email address or phone number; left out so it never reaches X in the clear`,
  };
}

/**
 * `record` without those of `fields` that hold personal data (the same
 * object when none does), a warning for each pushed onto `warnings`.
 */
function withoutPersonalData<T extends Partial<Record<string, unknown>>>(
  record: T,
  fields: ReadonlyArray<readonly [keyof T & string, TextKind]>,
  defaultCountry: string,
  parameterOf: (field: string) => string,
  warnings: IngestWarning[],
  budget: PhoneCheckBudget,
): T {
  let out = record;
  for (const [field, kind] of fields) {
    const text = record[field];
    if (typeof text === 'string' && holdsPersonalData(text, kind, defaultCountry, budget)) {
      if (out === record) out = { ...record };
      delete out[field];
      warnings.push(dropped(parameterOf(field)));
    }
  }
  return out;
}

/**
 * The event without its text fields that hold personal data, and a warning
 * for each one left out. Returns the same object when nothing was dropped.
 *
 * @example
 * dropPersonalData({ event: 'purchase', description: 'for jane@example.com' }, 'US', '');
 * // { input: { event: 'purchase' }, warnings: [{ code: 'PERSONAL_DATA_DROPPED', parameter: 'description', ... }] }
 */
export function dropPersonalData(
  input: EventInput,
  defaultCountry: string,
  prefix: string,
): { input: EventInput; warnings: IngestWarning[] } {
  const warnings: IngestWarning[] = [];
  const budget = { remaining: PHONE_CHECKS_PER_EVENT };
  let out = withoutPersonalData(
    input,
    EVENT_TEXT,
    defaultCountry,
    (field) => parameterName(prefix, field),
    warnings,
    budget,
  );
  if (input.contents !== undefined) {
    let changed = false;
    const contents = input.contents.map((content, index) => {
      const clean = withoutPersonalData(
        content,
        CONTENT_TEXT,
        defaultCountry,
        (field) => `${parameterName(prefix, `contents[${index}]`)}.${field}`,
        warnings,
        budget,
      );
      changed ||= clean !== content;
      return clean;
    });
    if (changed) out = { ...out, contents };
  }
  return { input: out, warnings };
}
