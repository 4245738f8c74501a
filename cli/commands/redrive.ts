/**
 * @module
 * `x-capi-edge redrive`: puts dead letters back on the delivery queue, by
 * ids, by event and/or reason, or all of them, and says how many. The edge
 * puts back a page per call; the command asks until none remain.
 */

import type { Flags } from '../args.ts';
import { stringFlag } from '../args.ts';
import { type Command, printJson } from '../command-context.ts';
import type { RedriveAnswer, RedriveSelector } from '../edge-api.ts';
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

/**
 * Redrives page after page until nothing matches. Bounded by what matched at
 * the first call: dead letters X rejects again meanwhile wait for the next run.
 *
 * @example
 * const { redriven } = await redriveAll(context.edge(), {});
 */
export async function redriveAll(
  edge: { redrive(selector: RedriveSelector): Promise<RedriveAnswer> },
  selector: RedriveSelector,
): Promise<{ redriven: number; remaining: number }> {
  let answer = await edge.redrive(selector);
  let redriven = answer.redriven;
  const matched = answer.redriven + (answer.remaining ?? 0);
  while ((answer.remaining ?? 0) > 0 && answer.redriven > 0 && redriven < matched) {
    answer = await edge.redrive(selector);
    redriven += answer.redriven;
  }
  return { redriven, remaining: answer.remaining ?? 0 };
}

export const redriveCommand: Command = async function redrive(context) {
  const selector = redriveSelector(context.flags);
  const { redriven, remaining } = await redriveAll(context.edge(), selector);
  const answer = { redriven, ...(remaining > 0 ? { remaining } : {}) };
  if (context.json) printJson(context.stdout, answer);
  else {
    context.stdout.write(
      `${answer.redriven.toLocaleString('en-US')} dead letter${answer.redriven === 1 ? '' : 's'} put back on the delivery queue\n`,
    );
    if (remaining > 0) {
      context.stdout.write(
        `${remaining.toLocaleString('en-US')} more match (dead-lettered again meanwhile); run redrive again once their cause is fixed\n`,
      );
    }
  }
  return ExitCode.ok;
};
