/**
 * @module
 * Writes a CSV file of generated conversions, as an advertiser's CRM export
 * would look (header aliases, quoted fields), streamed to disk so a file of a
 * million rows costs no memory. The bad rows (chosen by the caller) have an
 * email the edge refuses and no other identifier.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';

export interface ConversionsCsvOptions {
  rows: number;
  /** Prefix of every `transaction_id`, so files never share ids. */
  idPrefix: string;
  /** Rows (1-based) the edge must refuse. */
  badRows?: ReadonlySet<number>;
  delimiter?: ',' | ';';
}

/** The `transaction_id` of generated row `row`. */
export function generatedId(idPrefix: string, row: number): string {
  return `${idPrefix}-${row}`;
}

const HEADER = [
  'event',
  'transaction_id',
  'Email Address',
  'twclid',
  'value',
  'currency',
  'description',
];

/** The generated rows, one at a time, so none but the current is held. */
function* conversionRows(
  rows: number,
  idPrefix: string,
  badRows: ReadonlySet<number>,
  delimiter: string,
): Generator<string[]> {
  for (let row = 1; row <= rows; row += 1) {
    const bad = badRows.has(row);
    yield [
      'purchase',
      generatedId(idPrefix, row),
      bad ? 'not-an-email' : `buyer${row}@example.com`,
      bad ? '' : `26al4tn7x9n5o40h6sd2d${row % 10_000}`,
      `${(row % 500) + 1}.${String(row % 100).padStart(2, '0')}`,
      'EUR',
      // The delimiter and quotes inside a field: csv-stringify quotes it, as exports do.
      `Order ${row}${delimiter} mug "large"`,
    ];
  }
}

/**
 * Writes the file and resolves when it is on disk.
 *
 * @example
 * await writeConversionsCsv('/tmp/orders.csv', { rows: 1000, idPrefix: 'o', badRows: new Set([7]) });
 */
export async function writeConversionsCsv(
  path: string,
  { rows, idPrefix, badRows = new Set(), delimiter = ',' }: ConversionsCsvOptions,
): Promise<void> {
  await pipeline(
    Readable.from(conversionRows(rows, idPrefix, badRows, delimiter)),
    stringify({ header: true, columns: HEADER, delimiter }),
    createWriteStream(path),
  );
}
