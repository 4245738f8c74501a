/**
 * @module
 * `x-capi-edge dead-letters`: one page of `GET /dead-letters`, filtered by
 * event and reason, with the cursor of the next page.
 */
import { integerFlag, stringFlag } from '../args.ts';
import { type Command, printJson } from '../command-context.ts';
import { ExitCode } from '../errors.ts';
import { renderTable } from '../table.ts';

export const deadLettersCommand: Command = async function deadLetters(context) {
  const { flags } = context;
  const query: { event?: string; reason?: string; limit?: number; cursor?: string } = {
    limit: integerFlag(flags, 'limit', { min: 1, max: 1000, fallback: 50 }),
  };
  const event = stringFlag(flags, 'event');
  const reason = stringFlag(flags, 'reason');
  const cursor = stringFlag(flags, 'cursor');
  if (event !== undefined) query.event = event;
  if (reason !== undefined) query.reason = reason;
  if (cursor !== undefined) query.cursor = cursor;

  const page = await context.edge().deadLetters(query);
  if (context.json) {
    printJson(context.stdout, page);
    return ExitCode.ok;
  }
  const out = context.stdout;
  if (page.dead_letters.length === 0) {
    out.write('no dead letters\n');
  } else {
    out.write(
      `${renderTable(
        ['conversion_id', 'event', 'reason', 'status', 'dead at', 'message'],
        page.dead_letters.map((d) => [
          d.conversion_id,
          d.event,
          d.reason,
          d.status === null ? '-' : String(d.status),
          d.dead_at,
          d.message,
        ]),
      )}\n`,
    );
  }
  if (page.next_cursor) out.write(`more: add --cursor ${page.next_cursor}\n`);
  return ExitCode.ok;
};
