/**
 * @module
 * The few Markdown pieces BENCHMARKS.md is written with (./report.ts and
 * the sections it assembles).
 */

/** A number in en-US digits, or `n/a`. */
export function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A Markdown table. */
export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** The line a part that failed gets instead of its figures. */
export function notMeasured(error: string): string {
  return `**Not measured in this run:** ${error.replaceAll('\n', ' ')}`;
}
