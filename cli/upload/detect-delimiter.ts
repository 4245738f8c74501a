/**
 * @module
 * Which delimiter a CSV file uses, judged from its header line: spreadsheet
 * exports in much of Europe write `;` (the comma is their decimal mark),
 * others `,`; some tools write tabs.
 */

export type Delimiter = ',' | ';' | '\t';

const CANDIDATES: readonly Delimiter[] = [',', ';', '\t'];

/**
 * The delimiter found most often outside quotes in the first line of `head`
 * (the file's first bytes, byte-order mark already removed); `,` when the
 * header has a single column.
 *
 * @example
 * detectDelimiter('event;email;value\npurchase;a@b.example;"1,50"\n'); // ';'
 */
export function detectDelimiter(head: string): Delimiter {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const char of head) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best: Delimiter = ',';
  for (const candidate of CANDIDATES) {
    if ((counts.get(candidate) ?? 0) > (counts.get(best) ?? 0)) best = candidate;
  }
  return best;
}
