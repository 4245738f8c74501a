/**
 * @module
 * A one-line progress bar on a terminal (stderr), redrawn at most ten times
 * a second; nothing at all when the output is not a terminal, so logs and
 * pipes stay clean.
 */
import type { Output } from '../command-context.ts';

export interface ProgressCounts {
  bytes: number;
  sent: number;
  rejected: number;
  skipped: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  finish(): void;
}

const WIDTH = 24;
const REDRAW_MS = 100;

/**
 * Creates the bar for a file of `totalBytes`.
 *
 * @example
 * const progress = createProgress(process.stderr, size);
 * progress.update({ bytes, sent, rejected, skipped });
 * progress.finish();
 */
export function createProgress(out: Output, totalBytes: number, now = Date.now): Progress {
  if (!out.isTTY) return { update() {}, finish() {} };
  const started = now();
  let last = 0;
  let drawn = false;
  const draw = ({ bytes, sent, rejected, skipped }: ProgressCounts) => {
    const share = totalBytes > 0 ? Math.min(1, bytes / totalBytes) : 1;
    const filled = Math.round(share * WIDTH);
    const seconds = Math.max(0.001, (now() - started) / 1000);
    const perSecond = Math.round((sent + rejected) / seconds);
    const parts = [
      `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}]`,
      `${Math.floor(share * 100)}%`,
      `${sent.toLocaleString('en-US')} sent`,
      `${rejected.toLocaleString('en-US')} rejected`,
      skipped > 0 ? `${skipped.toLocaleString('en-US')} skipped` : '',
      `${perSecond.toLocaleString('en-US')} rows/s`,
    ];
    out.write(`\r${parts.filter(Boolean).join('  ')}\u001b[K`);
    drawn = true;
  };
  let latest: ProgressCounts | undefined;
  return {
    update(counts) {
      latest = counts;
      const time = now();
      if (time - last < REDRAW_MS) return;
      last = time;
      draw(counts);
    },
    finish() {
      if (latest) draw(latest);
      if (drawn) out.write('\n');
    },
  };
}
