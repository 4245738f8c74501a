/**
 * @module
 * Email addresses and phone numbers in text X receives as it is
 * (`description`, content names and types, ids). Emails and phones are hashed
 * at the door; one typed into a free text field would otherwise reach the
 * queue and X in the clear.
 *
 * The rule, tuned so order ids and SKUs pass:
 * - An email is `local@domain.tld` anywhere in any field.
 * - In prose (`description`, `content_name`, `content_type`), a phone is a
 *   run of digits and phone punctuation (space, `-`, `.`, parentheses)
 *   standing on its own (not glued to a letter, or joined to a word by `-`,
 *   `_`, `/`, `#` or `.`, so `A-2024-000123` is an id), holding 7 to 15
 *   digits, that either starts with `+` and has a length possible for its
 *   country, or is a number of the default country in an allocated range,
 *   written unbroken or grouped as that country writes its numbers
 *   (`415-555-2671` is a phone; `2024-01-15 12` is a date).
 * - In ids (`content_id`, `content_group_id`, `conversion_id`), a value of
 *   digits is the id itself: only a whole value written as a phone (starting
 *   with `+`, or with spaces or parentheses) counts.
 *
 * Asking libphonenumber about a run costs far more than the scan, so the
 * caller gives a budget of such questions per event; once spent, a field
 * with another phone-like run counts as holding one. A body stuffed with
 * digit runs then loses fields instead of costing CPU, and nothing
 * unchecked is let through.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** How a field is read: running text, or an identifier of the shop's own. */
export type TextKind = 'prose' | 'id';

/** How many more phone-number questions may be asked of libphonenumber. */
export interface PhoneCheckBudget {
  remaining: number;
}

const EMAIL = /[\p{L}\p{N}._%+-]@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u;
/** Bounded run length: a phone is at most 15 digits plus punctuation. */
const PHONE_RUN = /(?<![\p{L}\p{N}_\-/#.@+])[+(]?\d[\d ().-]{5,28}\d(?![\p{L}\p{N}_])/gu;
const PHONE_ONLY = /^\+?[\d ().-]+$/;
/** Spaces or parentheses: how a phone is written, never how an id is. */
const PHONE_LAYOUT = /[ (]/;
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;

function digitCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) count++;
  }
  return count;
}

function groupLengths(text: string): string {
  return text
    .split(/\D+/)
    .filter(Boolean)
    .map((group) => group.length)
    .join(',');
}

/** Whether one candidate run (punctuation and digits only) is a phone number. */
function isPhoneRun(run: string, defaultCountry: string, budget: PhoneCheckBudget): boolean {
  const digits = digitCount(run);
  if (digits < MIN_PHONE_DIGITS || digits > MAX_PHONE_DIGITS) return false;
  if (budget.remaining <= 0) return true;
  budget.remaining--;
  if (run.startsWith('+')) return parsePhoneNumberFromString(run)?.isPossible() === true;
  const phone = parsePhoneNumberFromString(run, { defaultCountry: defaultCountry as CountryCode });
  if (!phone?.isValid()) return false;
  const groups = groupLengths(run);
  if (!groups.includes(',')) return true;
  return (
    groups === groupLengths(phone.formatNational()) ||
    groups === groupLengths(phone.formatInternational())
  );
}

/**
 * Whether `text` holds an email address or a phone number, read as `kind`.
 *
 * @example
 * holdsPersonalData('for jane@example.com', 'prose', 'US'); // true
 * holdsPersonalData('call (415) 555-2671', 'prose', 'US'); // true
 * holdsPersonalData('A-2024-000123', 'id', 'US'); // false
 * holdsPersonalData('4155552671', 'id', 'US'); // false: a numeric id
 */
export function holdsPersonalData(
  text: string,
  kind: TextKind,
  defaultCountry: string,
  budget: PhoneCheckBudget = { remaining: Number.POSITIVE_INFINITY },
): boolean {
  if (text.includes('@') && EMAIL.test(text)) return true;
  if (digitCount(text) < MIN_PHONE_DIGITS) return false;
  if (kind === 'id') {
    const value = text.trim();
    return (
      PHONE_ONLY.test(value) &&
      (value.startsWith('+') || PHONE_LAYOUT.test(value)) &&
      isPhoneRun(value, defaultCountry, budget)
    );
  }
  for (const match of text.matchAll(PHONE_RUN)) {
    if (isPhoneRun(match[0], defaultCountry, budget)) return true;
  }
  return false;
}
