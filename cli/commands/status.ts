/**
 * @module
 * `x-capi-edge status`: `GET /status` as tables, one set per pixel (or the raw JSON).
 */
import { type Command, printJson } from '../command-context.ts';
import type { EventWindow, PixelStatus, StatusAnswer, StatusBudget } from '../edge-api.ts';
import { ExitCode } from '../errors.ts';
import { percent, renderTable } from '../table.ts';

/** A total with its reasons, e.g. `92 (retry 90, paused 2)`; `0` when there is none. */
function reasonsText(waiting: Record<string, number>): string {
  const entries = Object.entries(waiting).filter(([, n]) => n > 0);
  if (entries.length === 0) return '0';
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return `${total.toLocaleString('en-US')} (${entries.map(([reason, n]) => `${reason} ${n}`).join(', ')})`;
}

function windowTable(events: Record<string, EventWindow>): string {
  const rows = Object.entries(events).map(([name, w]) => [
    name,
    w.accepted,
    w.sent,
    reasonsText(w.waiting),
    w.dead_lettered,
    reasonsText(w.skipped),
    percent(w.coverage.twclid),
    percent(w.coverage.email),
    percent(w.coverage.phone),
    percent(w.coverage.ip_user_agent),
  ]);
  if (rows.length === 0) return '(no conversions)';
  return renderTable(
    [
      'event',
      'accepted',
      'sent',
      'waiting',
      'dead-lettered',
      'skipped',
      'twclid',
      'email',
      'phone',
      'ip+ua',
    ],
    rows,
  );
}

function budgetText(budget: StatusBudget): string {
  const resets = budget.resets_at ? `, resets at ${budget.resets_at}` : '';
  return `${budget.used.toLocaleString('en-US')} of ${budget.limit.toLocaleString('en-US')} events per ${budget.window_seconds} s${resets}`;
}

function lastErrorText(error: PixelStatus['last_error']): string {
  if (error === null) return 'none';
  // No HTTP status when X timed out or could not be reached.
  const status = error.status === null ? '' : ` HTTP ${error.status}`;
  return `${error.at}${status} ${error.code}: ${error.message}`;
}

/** The status answer as text a person reads: one block of tables per pixel. */
export function renderStatus(answer: StatusAnswer): string {
  const pixels = 'pixels' in answer ? answer.pixels : [answer];
  return pixels.map(renderPixelStatus).join('\n');
}

function renderPixelStatus(status: PixelStatus): string {
  const { delivery, budget, last_error: lastError } = status;
  const lines = [
    `pixel ${status.pixel_id}`,
    `delivery: ${delivery.state} since ${delivery.since}${delivery.reason ? ` (${delivery.reason})` : ''}`,
    `rate budget: ${budgetText(budget)}`,
    `last error from X: ${lastErrorText(lastError)}`,
  ];
  for (const [name, window] of Object.entries(status.windows)) {
    lines.push('', `last ${name}`, windowTable(window.events));
  }
  return `${lines.join('\n')}\n`;
}

export const statusCommand: Command = async function status(context) {
  const answer = await context.edge().status();
  if (context.json) printJson(context.stdout, answer);
  else context.stdout.write(renderStatus(answer));
  return ExitCode.ok;
};
