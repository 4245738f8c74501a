/**
 * @module
 * `x-capi-edge redrive`: puts dead letters back on the delivery queue, by
 * ids, by event and/or reason, or all of them, and says how many.
 */

import type { Flags } from '../args.ts';
import { stringFlag } from '../args.ts';
import { type Command, printJson } from '../command-context.ts';
import type { RedriveSelector } from '../edge-api.ts';
import { CliError, ExitCode } from '../errors.ts';

/** Exactly one way of choosing what to redrive; `--all` must be said out loud. */
export function redriveSelector(flags: Flags): RedriveSelector {
  const ids = stringFlag(flags, 'ids');
  const event = stringFlag(flags, 'event');
  const reason = stringFlag(flags, 'reason');
  const all = flags.all === true;
  const ways = [ids !== undefined, event !== undefined || reason !== undefined, all].filter(
    Boolean,
  ).length;
  if (ways !== 1) {
    throw new CliError(
      'redrive: choose exactly one of --ids ID,ID, --event NAME and/or --reason CODE, or --all',
    );
  }
  if (ids !== undefined) {
    const list = ids
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    if (list.length === 0) throw new CliError('redrive: --ids needs at least one conversion id');
    return { conversion_ids: list };
  }
  if (all) return {};
  const selector: { event?: string; reason?: string } = {};
  if (event !== undefined) selector.event = event;
  if (reason !== undefined) selector.reason = reason;
  return selector;
}

export const redriveCommand: Command = async function redrive(context) {
  const selector = redriveSelector(context.flags);
  const answer = await context.edge().redrive(selector);
  if (context.json) printJson(context.stdout, answer);
  else {
    context.stdout.write(
      `${answer.redriven.toLocaleString('en-US')} dead letter${answer.redriven === 1 ? '' : 's'} put back on the delivery queue\n`,
    );
  }
  return ExitCode.ok;
};
