/**
 * @module
 * `x-capi-edge status`: `GET /status` as tables (or the raw JSON).
 */
import { type Command, printJson } from '../command-context.ts';
import type { EventWindow, StatusAnswer } from '../edge-api.ts';
import { ExitCode } from '../errors.ts';
import { percent, renderTable } from '../table.ts';

function waitingText(waiting: Record<string, number>): string {
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
    waitingText(w.waiting ?? {}),
    w.dead_lettered,
    percent(w.coverage?.twclid ?? 0),
    percent(w.coverage?.email ?? 0),
    percent(w.coverage?.phone ?? 0),
    percent(w.coverage?.ip_user_agent ?? 0),
  ]);
  if (rows.length === 0) return '(no conversions)';
  return renderTable(
    ['event', 'accepted', 'sent', 'waiting', 'dead-lettered', 'twclid', 'email', 'phone', 'ip+ua'],
    rows,
  );
}

/** The status answer as text a person reads. */
export function renderStatus(status: StatusAnswer): string {
  const { delivery, budget, last_error: lastError } = status;
  const lines = [
    `pixel ${status.pixel_id}`,
    `delivery: ${delivery.state} since ${delivery.since}${delivery.reason ? ` (${delivery.reason})` : ''}`,
    `rate budget: ${budget.used.toLocaleString('en-US')} of ${budget.limit.toLocaleString('en-US')} events per ${budget.window_seconds} s${budget.resets_at ? `, resets at ${budget.resets_at}` : ''}`,
    `last error from X: ${lastError ? `${lastError.at} HTTP ${lastError.status} ${lastError.code}: ${lastError.message}` : 'none'}`,
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
