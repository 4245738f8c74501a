/**
 * The rate-limit bindings count per fixed window aligned to the clock, so a
 * flood that straddles a window boundary gets two allowances and its 429s
 * land late. Tests that count them run the flood through this.
 */
import { BROWSER_RATE_LIMIT_PERIOD_SECONDS } from '../../edge/http/browser-rate-limit.ts';

const windowNow = () => Math.floor(Date.now() / (BROWSER_RATE_LIMIT_PERIOD_SECONDS * 1000));

/**
 * Runs `flood` until one run starts and ends in the same window (three tries
 * at most). `flood` must use fresh keys (addresses) on every try: a straddling
 * try has already counted against its own.
 */
export async function withinOneWindow<T>(flood: () => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const window = windowNow();
    const result = await flood();
    if (windowNow() === window) return result;
  }
  throw new Error('three floods in a row straddled a rate-limit window boundary');
}
