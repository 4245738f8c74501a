/**
 * @module
 * A number from a benchmark's own command line (`--loads 20`): each bench
 * says which values it takes, and anything else falls back to its default.
 */

/**
 * The value after `name` in `process.argv` when `accepts` it, else `fallback`.
 *
 * @example
 * const loads = numberArg('--loads', 20, (n) => Number.isInteger(n) && n >= 0);
 */
export function numberArg(
  name: string,
  fallback: number,
  accepts: (value: number) => boolean,
): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? Number.NaN : Number(process.argv[index + 1]);
  return accepts(value) ? value : fallback;
}
