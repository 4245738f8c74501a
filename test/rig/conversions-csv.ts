/**
 * @module
 * Writes a CSV file of generated conversions, as an advertiser's CRM export
 * would look (header aliases, quoted fields), streamed to disk so a file of a
 * million rows costs no memory. The bad rows (chosen by the caller) have an
 * email the edge refuses and no other identifier.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

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
  const out = createWriteStream(path);
  const d = delimiter;
  let chunk = `event${d}transaction_id${d}Email Address${d}twclid${d}value${d}currency${d}description\n`;
  for (let row = 1; row <= rows; row += 1) {
    const bad = badRows.has(row);
    const email = bad ? 'not-an-email' : `buyer${row}@example.com`;
    const twclid = bad ? '' : `26al4tn7x9n5o40h6sd2d${row % 10_000}`;
    const value = `${(row % 500) + 1}.${String(row % 100).padStart(2, '0')}`;
    chunk += `purchase${d}${generatedId(idPrefix, row)}${d}${email}${d}${twclid}${d}${value}${d}EUR${d}"Order ${row}${d} mug ""large"""\n`;
    if (chunk.length > 64 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
