/**
 * @module
 * The kinds of setting edge/settings.ts is built from, each a valibot schema
 * over the trimmed string wrangler passes, with its default and its bounds.
 * An issue's message is what the setting "must be": the problem reported is
 * the setting's name followed by it.
 */
import * as v from 'valibot';

/** A variable in wrangler.toml `[vars]`. */
export interface VariableSpec<T = unknown> {
  kind: 'var';
  meaning: string;
  /** Reads a set value (trimmed, never empty). */
  schema: v.GenericSchema<string, T>;
  /** The value when unset or empty; absent: the setting is off until set. */
  default?: T;
  /** Said after the name when a required setting is unset. */
  unset?: string;
}

/** A whole number within bounds: its bounds are part of the spec (the CLI reads them). */
export interface WholeNumberSpec extends VariableSpec<number> {
  default: number;
  min: number;
  max: number;
}

/** A secret, from `wrangler secret put`; checked where it is used together with others. */
export interface SecretSpec {
  kind: 'secret';
  meaning: string;
}

export type SettingSpec = VariableSpec | WholeNumberSpec | SecretSpec;

/** A whole number of `unit` from `min` to `max`, `fallback` when unset. */
export function wholeNumber(
  fallback: number,
  min: number,
  max: number,
  unit: string,
  meaning: string,
): WholeNumberSpec {
  const message = `must be a whole number of ${unit} from ${min} to ${max}`;
  return {
    kind: 'var',
    meaning,
    default: fallback,
    min,
    max,
    schema: v.pipe(
      v.string(),
      v.regex(/^\d+$/, message),
      v.transform(Number),
      v.safeInteger(message),
      v.minValue(min, message),
      v.maxValue(max, message),
    ),
  };
}

/** `"true"` or `"false"` in any case; unset is false. */
export function flag(meaning: string): VariableSpec<boolean> & { default: boolean } {
  return {
    kind: 'var',
    meaning,
    default: false,
    schema: v.pipe(
      v.string(),
      v.toLowerCase(),
      v.picklist(['true', 'false'], 'must be "true" or "false"'),
      v.transform((text) => text === 'true'),
    ),
  };
}

/** Free text such as an event name; `fallback` when unset. */
export function text(
  fallback: string,
  meaning: string,
): VariableSpec<string> & { default: string } {
  return { kind: 'var', meaning, default: fallback, schema: v.string() };
}

export function secret(meaning: string): SecretSpec {
  return { kind: 'secret', meaning };
}

/** Whether `text` parses as an absolute http(s) URL. */
export function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** What a variable's schema gives: with a default always a value, otherwise maybe none. */
export type SettingValue<S> =
  S extends VariableSpec<infer T> ? (S extends { default: T } ? T : T | undefined) : never;

/**
 * One variable read from its raw string: the default when unset or empty (a problem
 * too, when the spec says it is required), the default and a problem when broken.
 */
export function readVariable<S extends VariableSpec>(
  name: string,
  spec: S,
  raw: string | undefined,
  problems: string[],
): SettingValue<S> {
  const fallback = spec.default as SettingValue<S>;
  const value = raw?.trim();
  if (!value) {
    if (spec.unset !== undefined) problems.push(`${name} ${spec.unset}`);
    return fallback;
  }
  const result = v.safeParse(spec.schema, value, { abortEarly: true });
  if (result.success) return result.output as SettingValue<S>;
  problems.push(`${name} ${result.issues[0].message}`);
  return fallback;
}
