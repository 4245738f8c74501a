/**
 * @module
 * Leaves out text fields that hold an email address or a phone number
 * (../identity/personal-data-in-text.ts states the rule) before anything is
 * queued: X receives these fields as they are, so one would reach X in the
 * clear. The conversion itself still goes, and the answer names each field
 * left out. A dropped `conversion_id` is replaced by a random one, as when
 * none is sent.
 */
import { holdsPersonalData, type TextKind } from '../identity/personal-data-in-text.ts';
import type { EventInput } from './event-schema.ts';
import { type IngestWarning, parameterName } from './ingest-warning.ts';

type Content = NonNullable<EventInput['contents']>[number];

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

function cleanContent(
  content: Content,
  defaultCountry: string,
  parameter: string,
  warnings: IngestWarning[],
): Content {
  let out = content;
  for (const [field, kind] of CONTENT_TEXT) {
    const text = content[field];
    if (text !== undefined && holdsPersonalData(text, kind, defaultCountry)) {
      if (out === content) out = { ...content };
      delete out[field];
      warnings.push(dropped(`${parameter}.${field}`));
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
  let out = input;
  for (const [field, kind] of EVENT_TEXT) {
    const text = input[field];
    if (text !== undefined && holdsPersonalData(text, kind, defaultCountry)) {
      if (out === input) out = { ...input };
      delete out[field];
      warnings.push(dropped(parameterName(prefix, field)));
    }
  }
  if (input.contents !== undefined) {
    let changed = false;
    const contents = input.contents.map((content, index) => {
      const clean = cleanContent(
        content,
        defaultCountry,
        parameterName(prefix, `contents[${index}]`),
        warnings,
      );
      changed ||= clean !== content;
      return clean;
    });
    if (changed) out = { ...out, contents };
  }
  return { input: out, warnings };
}
