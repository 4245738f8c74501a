/**
 * @module
 * `x-capi-edge webhook replay FILE --source shopify|stripe|woocommerce`: a
 * saved webhook payload through the edge's own mapping and ingest rules
 * (edge/webhooks/source-verdict.ts, edge/ingest/validate-event.ts), in Node,
 * printing the conversion the edge would make, with identifiers hashed as X
 * gets them. Nothing is sent unless `--send` is given; then the event object
 * goes to X at once through `POST /events/verify`, as `verify` does.
 */
import { readFile } from 'node:fs/promises';
import { validateEvent } from '../../edge/ingest/validate-event.ts';
import { SETTINGS } from '../../edge/settings.ts';
import { sourceVerdict } from '../../edge/webhooks/source-verdict.ts';
import {
  WEBHOOK_SOURCES,
  WebhookShapeError,
  type WebhookSource,
  type WebhookVerdict,
} from '../../edge/webhooks/webhook-event.ts';
import { type Command, printJson } from '../command-context.ts';
import { CliError, ExitCode, formatXError } from '../errors.ts';

/** What a shop sends for a new paid order when no `--topic` is given. */
const DEFAULT_TOPICS: Readonly<Record<WebhookSource, string | undefined>> = {
  shopify: 'orders/paid',
  stripe: undefined,
  woocommerce: 'order.updated',
};

function sourceOf(raw: unknown): WebhookSource {
  const source = WEBHOOK_SOURCES.find((name) => name === raw);
  if (source === undefined) {
    throw new CliError(`webhook replay: --source must be one of ${WEBHOOK_SOURCES.join(', ')}`);
  }
  return source;
}

async function payloadOf(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${file} is not JSON: save the webhook's body as it was delivered`);
  }
}

function verdictOf(
  source: WebhookSource,
  payload: unknown,
  topic: string | undefined,
  event: string,
): WebhookVerdict {
  try {
    return sourceVerdict(source, payload, { topic, event });
  } catch (error) {
    if (error instanceof WebhookShapeError) {
      throw new CliError(`the edge would answer 400: ${error.message} (${error.parameter})`);
    }
    throw error;
  }
}

export const webhookCommand: Command = async function webhook(context) {
  const [action, file, ...extra] = context.positionals;
  if (action !== 'replay' || file === undefined || extra.length > 0) {
    throw new CliError(
      'usage: x-capi-edge webhook replay FILE --source shopify|stripe|woocommerce',
    );
  }
  const source = sourceOf(context.flags.source);
  const topic =
    typeof context.flags.topic === 'string' ? context.flags.topic : DEFAULT_TOPICS[source];
  const event =
    typeof context.flags.event === 'string' ? context.flags.event : SETTINGS.SHOPIFY_EVENT.default;
  const verdict = verdictOf(source, await payloadOf(file), topic, event);
  if (verdict.kind !== 'conversion') {
    if (context.json) printJson(context.stdout, { verdict });
    else context.stdout.write(`${verdict.kind}, nothing sent: ${verdict.reason}\n`);
    return ExitCode.ok;
  }
  // The tag is the edge's (X_EVENTS); offline the event name stands in for it.
  const outcome = await validateEvent(verdict.event, {
    rules: {
      events: { [event]: event },
      phoneDefaultCountry: SETTINGS.PHONE_DEFAULT_COUNTRY.default,
      maxConversionAgeDays: SETTINGS.MAX_CONVERSION_AGE_DAYS.max,
    },
    caller: 'server',
  });
  if (!outcome.ok) {
    const errors = outcome.errors.map(formatXError);
    if (context.json) printJson(context.stdout, { verdict, refused: outcome.errors });
    else
      context.stdout.write(`refused by ingest, nothing would be sent:\n  ${errors.join('\n  ')}\n`);
    return ExitCode.refused;
  }
  const report: Record<string, unknown> = {
    event: verdict.event.event,
    conversion: outcome.conversion,
    ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
  };
  if (context.flags.send === true) {
    const answer = await context.edge().verify({ ...verdict.event });
    report.sent = answer;
  }
  if (context.json) {
    printJson(context.stdout, report);
  } else {
    context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  const sent = report.sent as { x_status: number } | undefined;
  return sent === undefined || (sent.x_status >= 200 && sent.x_status < 300)
    ? ExitCode.ok
    : ExitCode.refused;
};
