/**
 * @module
 * BENCHMARKS.md's cost section from bench/cost.ts's figures: billed units per
 * conversion for each shape, dollars per million conversions from the one
 * price table (./cloudflare-prices.ts), the targets beside them, and what
 * each SQLite row written pays for.
 */
import type { CostFigures, ShapeCost, ShapeName } from '../cost.ts';
import { CLOUDFLARE_PRICES } from './cloudflare-prices.ts';
import { notMeasured, num, table } from './markdown.ts';
import type { StatementCount } from './meter-reading.ts';

/** Where `npm run bench` finds the saved run it shows as "before" beside a new one. */
export const COST_BEFORE_FILE = 'bench/cost-before.json';

/** Dollars per million conversions the design aims at, where it names one. */
export const COST_TARGETS: Partial<Record<ShapeName, number>> = { browser: 2.6, server: 1.2 };

/** What the rows of each table (by Durable Object class) are kept for. */
const ROWS_PAY_FOR: Record<string, string> = {
  'DeliveryLedger conversions_<day>':
    "a conversion's one row, written once when X accepts it: its 48-hour dedup and its 7-day status (`GET /status/conversions/:id`); days are dropped whole, so expiry writes no row",
  'DeliveryLedger spending':
    'the rate budget: one upsert per batch and source in the sliding-window log',
  'DeliveryLedger pause': "X's 429 pause",
  'RateBudget claims':
    'dedup memory (48 hours): a claim per conversion, written when leased and again when marked delivered (`INSERT OR REPLACE` rewrites the row and its index entry)',
  'RateBudget spending':
    'the rate budget: one row per grant and source in the sliding-window log, per batch',
  'RateBudget pause': "X's 429 pause",
  'DeliveryLedger conversions':
    'per-conversion status for 7 days (`GET /status/conversions/:id`): inserted as waiting when the consumer first sees it, updated to sent; its indexes are written with it',
  'DeliveryLedger counts':
    'counters per event and 5-minute bucket for `GET /status`: accepted, sent and coverage, one upsert per bucket and event per batch',
  'DeliveryLedger tallies':
    'per-event tallies for `GET /status` in 5-minute buckets: where accepted conversions came from and those skipped on purpose, one upsert per batch',
  'DeliveryLedger pixel': 'the delivery state behind `/health`',
  'DeliveryLedger held': 'conversions held while X refuses the pixel or an event',
  'DeliveryLedger dead_letters': 'dead letters (30 days)',
  'DeliveryLedger isolated': 'events X refused, probed hourly',
  'DeliveryLedger alarm':
    "the ledger's next alarm (`setAlarm`, billed as one row written; set again only when it moves)",
};

/**
 * The table a statement writes (or reads), e.g. `claims` for
 * `INSERT OR REPLACE INTO claims ...`.
 *
 * @example
 * tableOf('UPDATE conversions SET state = ?'); // 'conversions'
 */
export function tableOf(statement: string): string {
  const match =
    /^(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+(\w+)/i.exec(
      statement,
    ) ?? /\bFROM\s+(\w+)/i.exec(statement);
  // The ledger keeps conversion rows in one table per day (edge/delivery/conversion-rows.ts).
  return match?.[1]?.replace(/^conversions_\d+$/, 'conversions_<day>') ?? 'schema';
}

/** Rows written per conversion by `Class table`, largest first. */
export function rowsWrittenByTable(shape: ShapeCost): [string, number][] {
  const byTable = new Map<string, number>();
  const add = (key: string, rows: number) => byTable.set(key, (byTable.get(key) ?? 0) + rows);
  for (const s of shape.counts.statements as StatementCount[]) {
    if (s.rowsWritten > 0) add(`${s.store} ${tableOf(s.statement)}`, s.rowsWritten);
  }
  if (shape.counts.alarmsSet > 0) add('DeliveryLedger alarm', shape.counts.alarmsSet);
  return [...byTable]
    .map(([key, rows]): [string, number] => [key, rows / shape.conversions])
    .sort((a, b) => b[1] - a[1]);
}

function targetCell(shape: ShapeCost): string {
  const target = COST_TARGETS[shape.shape];
  if (target === undefined) return '-';
  const within = shape.dollarsPerMillion.total <= target;
  return `$${num(target, 2)} (${within ? 'met' : 'not met'})`;
}

function countsTable(shapes: ShapeCost[]): string {
  return table(
    [
      'shape',
      'conversions (delivered)',
      'Worker requests',
      'queue operations',
      'DO requests',
      'rows written',
      'rows read',
      'workerd CPU ms, gross',
      'baseline CPU ms',
      'Worker CPU ms, net (priced)',
      '$ per million conversions',
      'target',
    ],
    shapes.map((s) => {
      const p = s.perConversion;
      const c = s.cpuPerConversion;
      return [
        s.how,
        `${num(s.conversions)} (${num(s.delivered)}${s.duplicates > 0 ? `, ${num(s.duplicates)} twice` : ''})`,
        num(p.workerRequests, 3),
        num(p.queueOperations, 2),
        num(p.durableObjectRequests, 3),
        num(p.rowsWritten, 2),
        num(p.rowsRead, 2),
        num(c?.grossMs, 2),
        num(c?.baselineMs, 2),
        num(c?.netMs, 2),
        `**$${num(s.dollarsPerMillion.total, 2)}**`,
        targetCell(s),
      ];
    }),
  );
}

function dollarsTable(shapes: ShapeCost[]): string {
  const d = (v: number) => `$${num(v, 2)}`;
  return table(
    [
      'shape',
      'Worker requests',
      'Worker CPU',
      'queue operations',
      'DO requests',
      'rows written',
      'rows read',
      'total',
    ],
    shapes.map((s) => {
      const c = s.dollarsPerMillion;
      return [
        s.shape,
        d(c.workerRequests),
        d(c.workerCpu),
        d(c.queueOperations),
        d(c.durableObjectRequests),
        d(c.rowsWritten),
        d(c.rowsRead),
        `**${d(c.total)}**`,
      ];
    }),
  );
}

function rowsTable(shapes: ShapeCost[]): string {
  const keys = [...new Set(shapes.flatMap((s) => rowsWrittenByTable(s).map(([key]) => key)))];
  return table(
    ['Durable Object table', ...shapes.map((s) => `${s.shape} rows per conversion`), 'pays for'],
    keys.map((key) => [
      `\`${key}\``,
      ...shapes.map((s) => num(rowsWrittenByTable(s).find(([k]) => k === key)?.[1] ?? 0, 2)),
      ROWS_PAY_FOR[key] ?? '(not described)',
    ]),
  );
}

/**
 * `now` against `was`, signed, in whole percent.
 *
 * @example
 * percentChange(20, 2.4); // '-88%'
 */
export function percentChange(was: number, now: number): string {
  const pct = Math.round(((now - was) / was) * 100);
  return pct === 0 ? '0%' : `${pct > 0 ? '+' : ''}${pct}%`;
}

/** Each shape's total before and after, against its target. */
function beforeAfterTable(after: CostFigures, before: CostFigures): string {
  return table(
    ['shape', 'before: $ per million', 'after (this run): $ per million', 'change', 'target'],
    after.shapes.map((s) => {
      const earlier = before.shapes.find((e) => e.shape === s.shape);
      const was = earlier?.dollarsPerMillion.total;
      const now = s.dollarsPerMillion.total;
      return [
        s.how,
        was === undefined ? 'n/a' : `$${num(was, 2)}`,
        `**$${num(now, 2)}**`,
        was === undefined || was === 0 ? 'n/a' : percentChange(was, now),
        targetCell(s),
      ];
    }),
  );
}

function baselineLine(f: CostFigures): string {
  const b = f.baseline;
  return `CPU baseline: ${num(b.requests)} requests to ${b.route}, ${num(b.cpuMsPerRequest, 2)} ms of workerd CPU per request.`;
}

/** The cost part's result as the report holds it (a `PartOutcome` of ./report.ts fits). */
type CostOutcome = { ok: true; value: CostFigures } | { ok: false; error: string };

/**
 * BENCHMARKS.md's cost section; with `before` (a saved earlier run), its
 * totals and counts beside this run's.
 */
export function costSection(outcome: CostOutcome, before?: CostFigures): string {
  const prices = CLOUDFLARE_PRICES;
  const p = prices.perMillion;
  const head = `## 7. Cost per million conversions at Cloudflare's list prices

\`bench/cost.ts\` sends conversions through the real path in local workerd (\`POST /events\`
-> delivery queue -> consumer -> the pixel's \`DeliveryLedger\` -> the fake
X API) in three shapes: browser beacons (one conversion each, as \`dist/xcapi.js\` sends
them, each from its own address and held \`BROWSER_HOLD_SECONDS\` = 1 s here, 60 s by
default: when, not what, is billed), server calls of 100 conversions, and a CSV file
uploaded by the real CLI (\`x-capi-edge upload --rate 0\`). The Worker runs behind
\`bench/cost-worker.ts\`, an entry point only this benchmark uses, which counts where it
happens: Worker requests (inbound requests and queue consumer invocations), queue
operations (each message written, read and deleted, per 64 KB with Cloudflare's ~100 bytes
of metadata), Durable Object requests (each method called on a stub, each alarm) and
SQLite rows (the \`rowsRead\` / \`rowsWritten\` of every cursor, as workerd counts them:
index entries included; \`setAlarm\` as one row written). CPU is the workerd processes'
own (\`/proc\`, 10 ms ticks) over the shape, so the gross figure includes local workerd's
HTTP server, queue and Durable Object plumbing, which Cloudflare does not bill as Worker
CPU. So the same run first sends as many requests as the browser shape, with the
beacon's headers and body, to a path no route serves (the Worker answers 404 at once,
through the same entry point), measures their CPU the same way, and takes that
per-request baseline off each Worker request of a shape (inbound requests and queue
consumer invocations alike): **Worker CPU is priced on the net figure**; gross and net
are both printed. The net figure still holds the Durable Object and queue plumbing
beyond one request's, so it remains an upper bound.
A warm-up creates the pixel's Durable Object first; each shape starts when the previous one is
idle, so its counts are its own.

A run saved as \`${COST_BEFORE_FILE}\` (\`node bench/cost.ts --save ${COST_BEFORE_FILE}\`) is
shown as **before** beside each new run (**after**); \`node bench/cost.ts --before <file>\`
prints the same comparison on the console.

Prices: ${prices.plan}, list prices as of ${prices.asOf}, per unit beyond the monthly
included amounts; sources: ${prices.sources.map((s) => `<${s}>`).join(', ')}.

| item | price |
|---|---|
| Worker requests | $${num(p.workerRequests, 2)} per million |
| Worker CPU time | $${num(p.workerCpuMs, 2)} per million CPU ms |
| Queue operations | $${num(p.queueOperations, 2)} per million |
| Durable Object requests | $${num(p.durableObjectRequests, 2)} per million |
| SQLite rows written | $${num(p.rowsWritten, 2)} per million |
| SQLite rows read | $${num(p.rowsRead, 3)} per million |

Durable Object duration is not counted (the objects answer in milliseconds, then idle).`;
  const saved = before
    ? `

**Before** (\`${COST_BEFORE_FILE}\`, measured ${before.measuredAt} by \`${before.command}\`), per conversion:

${countsTable(before.shapes)}

${baselineLine(before)}`
    : '';
  if (!outcome.ok) return `${head}\n\n${notMeasured(outcome.error)}${saved}`;
  const f = outcome.value;
  const comparison = before
    ? `

Dollars per million conversions, before and after:

${beforeAfterTable(f, before)}`
    : '';
  return `${head}${comparison}

**After** (this run), measured ${f.measuredAt} by \`${f.command}\`, per conversion:

${countsTable(f.shapes)}

${baselineLine(f)}

Dollars per million conversions, by item:

${dollarsTable(f.shapes)}

What each row written pays for (rows per conversion, by table; the floor the guarantees
need is about one):

${rowsTable(f.shapes)}${saved}`;
}
