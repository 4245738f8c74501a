/**
 * @module
 * Money as exact decimal strings, never through binary floats: `1.005` stays
 * `1.005` (and is refused in a two-decimal currency) instead of becoming
 * `1.00` through `toFixed(2)`.
 *
 * A JSON number has already been through `JSON.parse` when it gets here; its
 * shortest round-trip form (`String(1.005)` is `"1.005"`) is exactly what the
 * sender wrote whenever that had at most 15 significant digits, which covers
 * every amount a currency's decimals allow below the schema's cap. A number
 * written with more digits than a double holds was changed by `JSON.parse`
 * before any code could see it; such amounts must come as strings, which are
 * taken as written.
 */

/**
 * Ten integer digits (the schema caps the amount lower); the fraction is
 * bounded only to bound the work: the currency decides how many may be
 * non-zero.
 */
const DECIMAL = /^(\d{1,10})(?:\.(\d{1,20}))?$/;
/** What `String(number)` gives for amounts below 1e-6, such as `1.5e-7`. */
const TINY_EXPONENT = /^(\d)(?:\.(\d+))?e-(\d+)$/;

/**
 * ISO 4217 minor units that are not 2. X's currency list follows ISO 4217
 * (KWD and its neighbours with 3 decimals), which differs from the CLDR digits
 * `Intl.NumberFormat` reports for a few codes (IQD, for one), hence a table.
 */
const MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI'].map(
    (code) => [code, 0] as const,
  ),
  ...['VND', 'VUV', 'XAF', 'XOF', 'XPF'].map((code) => [code, 0] as const),
  ...['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((code) => [code, 3] as const),
  ['CLF', 4],
  ['UYW', 4],
]);

/** X's default when no `price_currency` is sent. */
export const DEFAULT_CURRENCY = 'USD';

/**
 * Decimal places a currency's amounts may have (ISO 4217 minor unit).
 */
export function minorUnits(currency: string): number {
  return MINOR_UNITS.get(currency) ?? 2;
}

/** A non-negative decimal as written, without leading or trailing zeros: `"0012.50"` -> `"12.5"`. */
export type Decimal = string & { readonly __decimal: unique symbol };

/**
 * An amount as received. `floatNoise`: it came as a JSON number with more
 * significant digits than a double carries faithfully (15), such as
 * `0.30000000000000004` from `0.1 + 0.2` in a page's script: no one writes
 * that, so it may be rounded to its currency (with a warning), where a
 * written `1.005` never is.
 */
export interface Amount {
  decimal: Decimal;
  floatNoise: boolean;
}

/** Significant digits a double reproduces exactly from any decimal. */
const FAITHFUL_DIGITS = 15;

function significantDigits(decimal: Decimal): number {
  return decimal.replace('.', '').replace(/^0+/, '').length;
}

/**
 * The amount a JSON number or numeric string stands for (see `parseDecimal`).
 *
 * @example
 * parseAmount(0.1 + 0.2); // { decimal: '0.30000000000000004', floatNoise: true }
 * parseAmount('1.005'); // { decimal: '1.005', floatNoise: false }
 */
export function parseAmount(input: number | string): Amount | undefined {
  const decimal = parseDecimal(input);
  if (decimal === undefined) return undefined;
  const floatNoise = typeof input === 'number' && significantDigits(decimal) > FAITHFUL_DIGITS;
  return { decimal, floatNoise };
}

/**
 * A float-noise amount rounded to `digits` places. Rounding the double
 * itself is right here: the noise is far below the last place kept.
 */
export function roundFloatNoise(amount: Amount, digits: number): Decimal {
  return parseDecimal(Number(amount.decimal).toFixed(digits)) as Decimal;
}

/**
 * The exact decimal a JSON number or numeric string stands for, or
 * `undefined` when it is not a plain non-negative decimal (negative, exponent
 * notation in a string, `NaN`, more than ten integer digits).
 *
 * @example
 * parseDecimal(1.005); // '1.005'
 * parseDecimal('20.00'); // '20'
 * parseDecimal('1e3'); // undefined
 */
export function parseDecimal(input: number | string): Decimal | undefined {
  // -0 is zero; String(-0) is "0" already.
  const text = typeof input === 'number' ? String(input) : input;
  // A number below 1e-6 prints with an exponent: written out, it is refused
  // later for having more decimals than its currency, not for its shape.
  const tiny = typeof input === 'number' ? TINY_EXPONENT.exec(text) : null;
  if (tiny) {
    const digits = `${tiny[1]}${tiny[2] ?? ''}`;
    return `0.${'0'.repeat(Number(tiny[3]) - 1)}${digits}` as Decimal;
  }
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const whole = (match[1] as string).replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  return (fraction ? `${whole}.${fraction}` : whole) as Decimal;
}

/** Number of digits after the point. */
export function fractionDigits(decimal: Decimal): number {
  const point = decimal.indexOf('.');
  return point === -1 ? 0 : decimal.length - point - 1;
}

/**
 * The decimal padded to exactly `digits` places, as X shows amounts
 * (`"20.00"`). The caller has checked it has no more than that.
 *
 * @example
 * formatDecimal('20' as Decimal, 2); // '20.00'
 * formatDecimal('1.5' as Decimal, 3); // '1.500'
 */
export function formatDecimal(decimal: Decimal, digits: number): string {
  const have = fractionDigits(decimal);
  if (digits === 0) return decimal;
  return have === 0 ? `${decimal}.${'0'.repeat(digits)}` : decimal + '0'.repeat(digits - have);
}

/**
 * An amount counted in minor units (as payment processors send them) as a
 * decimal string, by moving the point `digits` places: no float division.
 * `undefined` for anything but a non-negative safe integer.
 *
 * @example
 * decimalFromMinorUnits(2000, 2); // '20.00'
 * decimalFromMinorUnits(12345, 3); // '12.345'
 * decimalFromMinorUnits(1500, 0); // '1500'
 */
export function decimalFromMinorUnits(units: number, digits: number): string | undefined {
  if (!Number.isSafeInteger(units) || units < 0) return undefined;
  if (digits === 0) return String(units);
  const text = String(units).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
