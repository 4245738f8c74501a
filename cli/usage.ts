/**
 * @module
 * The `--help` texts: what each command does, its flags and the exit codes.
 */
import { SETTINGS } from '../edge/settings.ts';
import { MAX_CONVERSIONS_PER_REQUEST } from '../edge/x-api/limits.ts';
import type { CommandName } from './args.ts';
import { DEFAULT_RATE } from './upload/pacer.ts';

const EXIT_CODES = `Exit codes:
  0  everything was accepted
  1  the run completed, but some rows or events were refused
  2  usage error, missing endpoint or key, unreadable or malformed file,
     or the edge could not be reached (or refused the key)
  130  upload stopped with Ctrl-C: run it again with --resume`;

const COMMON = `Common flags:
  --endpoint URL   the edge's base URL, including BASE_PATH (or XCAPI_ENDPOINT)
  --pixel ID       the pixel to address when the edge serves several (X_PIXELS)
  --json           print the answer as JSON for scripts
  -h, --help       show help

The server key is read from XCAPI_SERVER_KEY (the edge's SERVER_KEY, or a pixel's
SERVER_KEY_<ID>).`;

export const COMMAND_HELP: Record<CommandName, string> = {
  status: `x-capi-edge status --endpoint URL [--json]

Delivery state, per-event counts for the last hour and 24 hours (accepted,
sent, waiting, dead-lettered), identifier coverage, the rate budget and the
last error from X, as tables (GET /status).`,
  'dead-letters': `x-capi-edge dead-letters --endpoint URL [--event NAME] [--reason CODE]
                         [--limit N] [--cursor CURSOR] [--json]

Conversions X refused or that waited too long, newest first, without
identifiers (GET /dead-letters). --limit is the page size (default 50); when
there are more, the next page's --cursor is printed.`,
  redrive: `x-capi-edge redrive --endpoint URL (--ids ID,ID | --event NAME [--reason CODE]
                    | --reason CODE | --all) [--json]

Puts dead letters back on the delivery queue (POST /dead-letters/redrive),
a page of up to 1,000 per request until none remain.
Each keeps its conversion_id, so X receives it at most once.`,
  verify: `x-capi-edge verify --endpoint URL [--json]

Sends one test conversion per configured event (read from GET /health) through
POST /events/verify, at once and not queued, and prints X's answer for each.
The test conversions carry conversion_id "xcapi-verify-<event>-<time>" and the
click id "xcapi_verify_test". Exit code 1 when X refuses any of them.`,
  upload: `x-capi-edge upload FILE.csv --endpoint URL [--rate N] [--resume] [--dry-run]
                   [--batch-size N] [--phone-country CC] [--max-age-days N] [--event NAME]
                   [--skip-unknown-columns] [--json]

Sends the conversions in a CSV file as server calls (POST /events, batches of
up to ${MAX_CONVERSIONS_PER_REQUEST}). The header row names the columns (see the README for names and
aliases); the delimiter (, ; or tab) and a byte-order mark are detected.
Each row is validated with the edge's own rules before it is sent.

  --rate N                 events per 15 minutes (default ${DEFAULT_RATE}, leaving room for
                           live traffic within X's ${SETTINGS.X_RATE_LIMIT_EVENTS.default}); 0 sends unpaced
  --resume                 continue an interrupted upload: rows already accepted
                           (FILE.csv.upload-journal) are not sent again
  --dry-run                validate only; writes FILE.csv.dry-run.csv, sends nothing
                           (--endpoint is optional: with it, event names are checked too)
  --batch-size N           events per request, 1-${MAX_CONVERSIONS_PER_REQUEST} (default ${MAX_CONVERSIONS_PER_REQUEST})
  --phone-country CC       country of phone numbers without +, as the edge's
                           PHONE_DEFAULT_COUNTRY (default ${SETTINGS.PHONE_DEFAULT_COUNTRY.default})
  --max-age-days N         oldest conversion_time to send, in days, as the edge's
                           MAX_CONVERSION_AGE_DAYS (default ${SETTINGS.MAX_CONVERSION_AGE_DAYS.default})
  --event NAME             the event of rows without an "event" cell
  --skip-unknown-columns   ignore columns the edge does not know instead of stopping

Ctrl-C stops after the batch in flight (exit code 130); --resume goes on.
Writes FILE.csv.report.csv: row, line, conversion_id, status (sent | rejected), reason.
Rows without conversion_id get one derived from the file name and row, so a
row sent twice is still counted once by X.`,
  webhook: `x-capi-edge webhook replay FILE --source shopify|stripe|woocommerce
                            [--topic TOPIC] [--event NAME] [--send] [--json]

Runs a saved webhook body (the JSON the shop delivered) through the edge's own
mapping and ingest rules, offline, and prints the conversion the edge would make
(email and phone hashed as X gets them), or why nothing would be sent.

  --topic TOPIC   X-Shopify-Topic or X-WC-Webhook-Topic of the delivery
                  (default orders/paid, order.updated; Stripe's is in the body)
  --event NAME    the X_EVENTS event it is sent as (default purchase)
  --send          also send it to X at once through POST /events/verify
                  (needs --endpoint and XCAPI_SERVER_KEY)

Offline the event name stands in for its tag, and conversion times up to ${SETTINGS.MAX_CONVERSION_AGE_DAYS.max}
days old are shown (the edge refuses those beyond MAX_CONVERSION_AGE_DAYS).`,
};

/** The top-level help. */
export const GENERAL_HELP = `x-capi-edge: operate an x-capi-edge deployment from the command line.

Usage: npx x-capi-edge <command> --endpoint URL [flags]

Commands:
  status          delivery state, counts, coverage, budget, last error
  dead-letters    list conversions given up on
  redrive         put dead letters back on the delivery queue
  verify          send one test conversion per event and show X's answer
  upload FILE     send offline conversions from a CSV file
  webhook replay FILE --source S   show the conversion a saved shop webhook makes

Run "npx x-capi-edge <command> --help" for a command's flags.

${COMMON}

${EXIT_CODES}`;

/** Help for one command. */
export function commandHelp(command: CommandName): string {
  return `${COMMAND_HELP[command]}\n\n${COMMON}\n\n${EXIT_CODES}`;
}
