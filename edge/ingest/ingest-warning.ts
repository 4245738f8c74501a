/**
 * @module
 * What a `POST /events` answer says about data it left out (or, for float
 * noise in an amount, rounded): the conversion was accepted, but not with the
 * field named in `parameter` as sent; or, for `CONSENT_DENIED`, acknowledged
 * but not sent at all. Messages never quote the value (it may
 * be an email or a phone number).
 */

export type IngestWarningCode =
  | 'IDENTIFIER_DROPPED'
  | 'PERSONAL_DATA_DROPPED'
  | 'VALUE_ROUNDED'
  | 'CONSENT_DENIED';

export interface IngestWarning {
  code: IngestWarningCode;
  /** The field left out, e.g. `phone` or `events[3].contents[0].content_name`. */
  parameter: string;
  message: string;
}

/**
 * A field's parameter name under a prefix such as `events[3]`.
 */
export function parameterName(prefix: string, field: string): string {
  return prefix ? `${prefix}.${field}` : field;
}
