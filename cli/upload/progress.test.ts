import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.ts';

function terminal(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, write: (text: string) => writes.push(text) } };
}

describe('createProgress', () => {
  it('draws one line on a terminal, at most ten times a second, and ends it', () => {
    const { writes, out } = terminal(true);
    let now = 0;
    const progress = createProgress(out, 1000, () => now);
    now = 200;
    progress.update({ bytes: 500, sent: 990, rejected: 10, skipped: 0 });
    now = 250;
    progress.update({ bytes: 600, sent: 1190, rejected: 10, skipped: 0 });
    expect(writes).toEqual([
      '\r[############------------]  50%  990 sent  10 rejected  5,000 rows/s\u001b[K',
    ]);
    now = 400;
    progress.update({ bytes: 1000, sent: 1990, rejected: 10, skipped: 500 });
    progress.finish();
    expect(writes.at(-2)).toBe(
      '\r[########################]  100%  1,990 sent  10 rejected  500 skipped  5,000 rows/s\u001b[K',
    );
    expect(writes.at(-1)).toBe('\n');
  });

  it('prints nothing at all when the output is not a terminal', () => {
    const { writes, out } = terminal(false);
    const progress = createProgress(out, 1000);
    progress.update({ bytes: 500, sent: 1, rejected: 0, skipped: 0 });
    progress.finish();
    expect(writes).toEqual([]);
  });
});
