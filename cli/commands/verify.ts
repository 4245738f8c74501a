/**
 * @module
 * `x-capi-edge verify`: one test conversion per configured event, sent to X
 * at once through `POST /events/verify`, with X's answer for each. Catches a
 * wrong event tag id or refused credentials in seconds rather than the day X
 * takes to show conversions.
 */

import { xErrorItems } from '../../edge/errors.ts';
import { type Command, printJson } from '../command-context.ts';
import type { HealthAnswer, VerifyAnswer } from '../edge-api.ts';
import { EdgeHttpError } from '../edge-client.ts';
import { CliError, ExitCode, formatXError } from '../errors.ts';
import { renderTable } from '../table.ts';

/** The click id every test conversion carries, recognisable in X's tools. */
export const VERIFY_TWCLID = 'xcapi_verify_test';

/** Names of the configured events from `/health` (a map of name to tag, or a list of names). */
export function configuredEvents(health: HealthAnswer): string[] {
  const { events } = health;
  if (Array.isArray(events)) return events;
  if (events && typeof events === 'object') return Object.keys(events);
  return [];
}

interface EventVerdict {
  event: string;
  conversion_id: string;
  accepted: boolean;
  x_status: number | null;
  answer: string;
  x_body?: unknown;
}

/** One line of what X said: its debug id and count, or its errors. */
function describeAnswer(answer: VerifyAnswer): string {
  const errors = xErrorItems(answer.x_body);
  if (errors.length > 0) return errors.map(formatXError).join('; ');
  if (typeof answer.x_body === 'object' && answer.x_body !== null) {
    const { data } = answer.x_body as {
      data?: { conversions_processed?: number; debug_id?: string };
    };
    const parts: string[] = [];
    if (data?.conversions_processed !== undefined)
      parts.push(`conversions_processed ${data.conversions_processed}`);
    if (data?.debug_id) parts.push(`debug_id ${data.debug_id}`);
    if (parts.length > 0) return parts.join(', ');
  }
  return typeof answer.x_body === 'string'
    ? answer.x_body.slice(0, 200)
    : JSON.stringify(answer.x_body).slice(0, 200);
}

export const verifyCommand: Command = async function verify(context) {
  const edge = context.edge();
  const health = await edge.health();
  const events = configuredEvents(health);
  if (events.length === 0) {
    const problems = health.problems?.length ? `: ${health.problems.join('; ')}` : '';
    throw new CliError(`the edge lists no configured events (check X_EVENTS)${problems}`);
  }
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const verdicts: EventVerdict[] = [];
  for (const event of events) {
    const conversionId = `xcapi-verify-${event}-${stamp}`.slice(0, 64);
    try {
      const answer = await edge.verify({
        event,
        conversion_id: conversionId,
        twclid: VERIFY_TWCLID,
      });
      verdicts.push({
        event,
        conversion_id: answer.conversion_id,
        accepted: answer.x_status >= 200 && answer.x_status < 300,
        x_status: answer.x_status,
        answer: describeAnswer(answer),
        x_body: answer.x_body,
      });
    } catch (error) {
      // The edge refused the test event (400) or could not reach X (502): this event's verdict.
      // Anything else (refused key, no such route, unreachable edge) stops the whole run.
      if (!(error instanceof EdgeHttpError) || (error.status !== 400 && error.status !== 502)) {
        throw error;
      }
      verdicts.push({
        event,
        conversion_id: conversionId,
        accepted: false,
        x_status: null,
        answer: error.message,
      });
    }
  }
  const refused = verdicts.filter((v) => !v.accepted).length;
  if (context.json) {
    printJson(context.stdout, { events: verdicts, refused });
  } else {
    context.stdout.write(
      `${renderTable(
        ['event', 'X status', 'verdict', "X's answer"],
        verdicts.map((v) => [
          v.event,
          v.x_status === null ? '-' : String(v.x_status),
          v.accepted ? 'accepted' : 'REFUSED',
          v.answer,
        ]),
      )}\n${refused === 0 ? `all ${verdicts.length} events accepted by X` : `${refused} of ${verdicts.length} events refused`}\n`,
    );
  }
  return refused === 0 ? ExitCode.ok : ExitCode.refused;
};
