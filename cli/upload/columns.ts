/**
 * @module
 * CSV header names to the fields of a `POST /events` event object. Field
 * names are the edge's own (read from its schema, so a field the edge learns
 * is a column here at once); aliases cover what CRMs, shops and other
 * platforms' export files call the same thing. Matching ignores case and
 * treats spaces, dashes and dots as underscores (`Email Address` is
 * `email_address`).
 */
import { EventSchema } from '../../edge/ingest/event-schema.ts';
import { CliError } from '../errors.ts';

/** Every field an event object may carry. */
export const EVENT_FIELDS: readonly string[] = Object.keys(EventSchema.entries);

/** Other names for a field, by field. */
export const COLUMN_ALIASES: Readonly<Record<string, readonly string[]>> = {
  event: ['event_name'],
  twclid: ['click_id'],
  email: ['email_address', 'e_mail'],
  phone: ['phone_number', 'telephone', 'mobile'],
  value: ['revenue', 'amount', 'order_value'],
  currency: ['currency_code', 'price_currency'],
  conversion_id: ['transaction_id', 'order_id'],
  conversion_time: ['timestamp', 'event_time'],
  ip_address: ['ip', 'client_ip_address'],
  user_agent: ['client_user_agent'],
  hashed_email: ['email_sha256'],
  hashed_phone_number: ['hashed_phone', 'phone_sha256'],
  number_items: ['num_items', 'quantity'],
};

/** Which of the edge's pixels a row goes to: not an event field, it picks the request. */
export const PIXEL_COLUMN = 'pixel';

const FIELD_BY_NAME = new Map<string, string>([[PIXEL_COLUMN, PIXEL_COLUMN]]);
for (const field of EVENT_FIELDS) FIELD_BY_NAME.set(field, field);
for (const [field, aliases] of Object.entries(COLUMN_ALIASES)) {
  for (const alias of aliases) FIELD_BY_NAME.set(alias, field);
}

/** `Email Address` -> `email_address`. */
export function normalizeHeader(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s.-]+/g, '_');
}

/** The event field a header names, or undefined. */
export function fieldForHeader(name: string): string | undefined {
  return FIELD_BY_NAME.get(normalizeHeader(name));
}

/** Which field each column fills (`undefined`: a column skipped). */
export type ColumnMap = readonly (string | undefined)[];

/**
 * Maps a header row to fields. Throws a `CliError` for an unknown column
 * (unless skipped), two columns filling one field, or no `event` column
 * (unless every row gets a default event).
 *
 * @example
 * mapColumns(['Transaction ID', 'Email Address', 'event'], {});
 * // ['conversion_id', 'email', 'event']
 */
export function mapColumns(
  header: readonly string[],
  { skipUnknown = false, defaultEvent }: { skipUnknown?: boolean; defaultEvent?: string },
): ColumnMap {
  const seen = new Map<string, string>();
  const unknown: string[] = [];
  const columns = header.map((name) => {
    const field = fieldForHeader(name);
    if (field === undefined) {
      if (name.trim() !== '') unknown.push(name);
      return undefined;
    }
    const earlier = seen.get(field);
    if (earlier !== undefined) {
      throw new CliError(`columns "${earlier}" and "${name}" both give ${field}: keep one of them`);
    }
    seen.set(field, name);
    return field;
  });
  if (unknown.length > 0 && !skipUnknown) {
    throw new CliError(
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n.slice(0, 64)}"`).join(', ')} in the header (line 1): known columns are ${EVENT_FIELDS.join(', ')} and their aliases (see the README); add --skip-unknown-columns to ignore them`,
    );
  }
  if (!seen.has('event') && defaultEvent === undefined) {
    throw new CliError('the header (line 1) has no "event" column: add one, or pass --event NAME');
  }
  return columns;
}
