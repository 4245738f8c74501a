/**
 * @module
 * One CSV record to one `POST /events` event object: values trimmed, empty
 * cells left out (a blank phone means "no phone"), epoch timestamps turned
 * into ISO 8601, decimal commas read in `;` files (where the comma is the
 * decimal mark), `contents` read as JSON, and a conversion id derived from
 * the file and row when the file has none, so X's dedup recognises a row
 * sent twice.
 */
import { createHash } from 'node:crypto';
import { type ColumnMap, PIXEL_COLUMN } from './columns.ts';

export type EventObject = Record<string, unknown>;

export interface MappedRow {
  event: EventObject;
  conversionId: string;
  /** The row's `pixel` column: the edge's pixel it is sent to. */
  pixel?: string;
}

/** Why a row could not become an event object at all. */
export interface MappingProblem {
  parameter: string;
  message: string;
}

/**
 * A stable conversion id for a row without one: the same file name, row
 * number and cells always give the same id.
 *
 * @example
 * derivedConversionId('orders.csv', 12, ['purchase', 'a@b.example']); // 'csv-4f1c...'
 */
export function derivedConversionId(fileName: string, row: number, fields: string[]): string {
  const hash = createHash('sha256');
  hash.update(`${fileName}\n${row}`);
  for (const field of fields) hash.update(`\n${field}`);
  return `csv-${hash.digest('hex').slice(0, 40)}`;
}

/** Unix seconds (10 digits) or milliseconds (13 digits) as ISO 8601; anything else unchanged. */
export function conversionTimeFrom(value: string): string {
  if (/^\d{10}$/.test(value)) return new Date(Number(value) * 1000).toISOString();
  if (/^\d{13}$/.test(value)) return new Date(Number(value)).toISOString();
  return value;
}

/** Amount fields, where `12,50` means 12.50 in a `;`-delimited file. */
const AMOUNT_FIELDS = new Set(['value']);
const DECIMAL_COMMA = /^\d+,\d+$/;

/**
 * Maps a record through the header's column map.
 *
 * @example
 * mapRow(['event', 'email'], ['purchase', ' a@b.example '], { fileName: 'f.csv', row: 1 });
 * // { event: { event: 'purchase', email: 'a@b.example', conversion_id: 'csv-...' }, conversionId: 'csv-...' }
 */
export function mapRow(
  columns: ColumnMap,
  fields: string[],
  {
    fileName,
    row,
    defaultEvent,
    decimalComma = false,
  }: { fileName: string; row: number; defaultEvent?: string; decimalComma?: boolean },
): MappedRow | MappingProblem {
  // Null prototype: a column value can never reach Object.prototype.
  const event: EventObject = Object.create(null);
  let pixel: string | undefined;
  for (const [index, field] of columns.entries()) {
    if (field === undefined) continue;
    const value = fields[index]?.trim() ?? '';
    if (value === '') continue;
    if (field === PIXEL_COLUMN) {
      pixel = value;
    } else if (field === 'conversion_time') {
      event[field] = conversionTimeFrom(value);
    } else if (decimalComma && AMOUNT_FIELDS.has(field) && DECIMAL_COMMA.test(value)) {
      event[field] = value.replace(',', '.');
    } else if (field === 'contents') {
      try {
        event[field] = JSON.parse(value);
      } catch {
        return { parameter: 'contents', message: 'contents must be a JSON array of items' };
      }
    } else {
      event[field] = value;
    }
  }
  if (event.event === undefined && defaultEvent !== undefined) event.event = defaultEvent;
  if (typeof event.conversion_id !== 'string') {
    event.conversion_id = derivedConversionId(fileName, row, fields);
  }
  const conversionId = event.conversion_id as string;
  return pixel === undefined ? { event, conversionId } : { event, conversionId, pixel };
}

/** Whether `mapRow` gave up on the row. */
export function isMappingProblem(result: MappedRow | MappingProblem): result is MappingProblem {
  return 'message' in result;
}
