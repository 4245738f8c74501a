/**
 * @module
 * Plain-text tables for a terminal: columns padded to their widest cell,
 * numbers right-aligned.
 */

/** A cell: text, or a number (right-aligned, with thousands separators). */
export type Cell = string | number;

function text(cell: Cell): string {
  return typeof cell === 'number' ? cell.toLocaleString('en-US') : cell;
}

/**
 * Renders rows under a header.
 *
 * @example
 * renderTable(['event', 'sent'], [['purchase', 1200]]);
 * // 'event     sent\n--------  -----\npurchase  1,200'
 */
export function renderTable(header: string[], rows: Cell[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => text(row[column] ?? '').length)),
  );
  const numeric = header.map((_, column) => rows.some((row) => typeof row[column] === 'number'));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => line(header.map((_, column) => text(row[column] ?? '')))),
  ].join('\n');
}

/** A share from 0 to 1 as a whole percentage. */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
