/**
 * @module
 * The queue consumer's decisions, as pure functions (./queue-consumer.ts
 * does the I/O around them): what each conversion of a batch becomes after
 * the ledger's `begin` and after each X answer, and what each queue message
 * then becomes. Nothing here reads a clock or the network.
 *
 * Nothing is acked unless X accepted it, it is a known duplicate, or it is
 * stored again: re-enqueued, or held or dead-lettered by the ledger (the
 * ledger's `finish` is written before anything it keeps is acked).
 */
import type { EdgeConfig } from '../config.ts';
import type { SendOutcome } from '../x-api/x-client.ts';
import type { Admission, LedgerReport, WaitingReason } from './ledger-report.ts';
import { type DeliveryMessage, eventName, ledgerKey } from './message.ts';
import { rateLimitedRetryDelay, transientRetryDelay } from './retry-delay.ts';
import { describeErrors, type Verdict } from './verdict.ts';

/** One conversion of the batch and the queue message it came in. */
export interface Unit {
  msg: Message<unknown>;
  body: DeliveryMessage;
}

/**
 * What happens to one conversion once every decision is made. `requeue` is
 * for waits that are not failures (our budget, X's 429, another copy in
 * flight): it is re-enqueued with a delay, so the wait neither spends one of
 * `max_retries` nor grows the backoff after later 5xx.
 */
export type Action = { ack: true } | { retry: number } | { requeue: number };

/** The ledger report without the batch's entries, as each step adds to it. */
export type ReportPart = Partial<Omit<LedgerReport, 'entries'>>;

/** What one step decided: per conversion, what the ledger learns, and what it must keep first. */
export interface Step {
  actions: [Unit, Action][];
  report: ReportPart;
  /** Conversions acked only once the ledger's `finish` has them (held, dead letters). */
  kept: Unit[];
}

/** What the decisions need besides X's answers. */
export interface PlanContext {
  retry: EdgeConfig['retry'];
  /** The batch's clock (epoch ms). */
  now: number;
  random?: () => number;
}

const ACK: Action = { ack: true };

/** Failed sends of this conversion so far: those carried by a re-enqueued message plus its own retries. */
export function failuresSoFar(unit: Unit): number {
  return (unit.body.failures ?? 0) + Math.max(unit.msg.attempts - 1, 0);
}

function transientDelay(ctx: PlanContext, unit: Unit): number {
  const { baseSeconds, maxSeconds } = ctx.retry;
  return transientRetryDelay(failuresSoFar(unit) + 1, baseSeconds, ctx.random, maxSeconds);
}

/** A retry after a transient failure, backed off by the conversion's failures so far. */
export function retryAction(ctx: PlanContext, unit: Unit): Action {
  return { retry: transientDelay(ctx, unit) };
}

/** Every conversion retried: the ledger could not be reached. */
export function retryAll(ctx: PlanContext, units: readonly Unit[]): Step {
  return {
    actions: units.map((u) => [u, retryAction(ctx, u)]),
    report: {},
    kept: [],
  };
}

function waiting(unit: Unit, reason: WaitingReason, tried: boolean, error?: string) {
  return { key: ledgerKey(unit.body), reason, tried, ...(error ? { error } : {}) };
}

/** What the ledger's `begin` decided for the conversions it did not grant. */
export function planAdmission(
  ctx: PlanContext,
  units: readonly Unit[],
  admission: Admission,
): Step & { granted: Unit[] } {
  const at = (i: number) => units[i] as Unit;
  const deferred = admission.deferred.map(at);
  const delay = rateLimitedRetryDelay(admission.retryAfterSeconds, ctx.random);
  return {
    granted: admission.granted.map(at),
    actions: [
      // The ledger stored these before answering: they wait there, not in the queue.
      ...admission.held.map((i): [Unit, Action] => [at(i), ACK]),
      ...admission.duplicates.map((i): [Unit, Action] => [at(i), ACK]),
      // Another copy is being sent right now: look again soon (at least 1 s).
      ...admission.inFlight.map((i): [Unit, Action] => [
        at(i),
        { requeue: Math.max(1, transientDelay(ctx, at(i))) },
      ]),
      ...deferred.map((u): [Unit, Action] => [u, { requeue: delay }]),
    ],
    report: {
      duplicates: admission.duplicates.map(at).map((u) => ({
        key: ledgerKey(u.body),
        probe: u.body.probe === true,
        source: u.body.source,
      })),
      waiting: deferred.map((u) => waiting(u, 'rate_limited', false)),
      ...(deferred.length > 0 ? { budgetUntil: ctx.now + admission.retryAfterSeconds * 1000 } : {}),
    },
    kept: [],
  };
}

/** The last error X gave, for `/status`. */
function lastError(outcome: SendOutcome): ReportPart {
  if (outcome.kind === 'delivered') return {};
  if (!('errors' in outcome) && outcome.kind !== 'retryable') return {};
  return {
    lastError: {
      status: outcome.status ?? null,
      code: 'errors' in outcome ? (outcome.errors[0]?.code ?? 'UNKNOWN') : 'UNAVAILABLE',
      message: 'errors' in outcome ? describeErrors(outcome.errors) : outcome.reason,
    },
  };
}

/**
 * What one X answer means for the conversions of its request, for every
 * verdict but `isolate` and `bisect` (which send again: ./queue-consumer.ts).
 */
export function judgeSend(
  ctx: PlanContext,
  units: readonly Unit[],
  outcome: SendOutcome,
  verdict: Exclude<Verdict, { kind: 'isolate' } | { kind: 'bisect' }>,
): Step {
  const claims = units.map((u) => ({ key: ledgerKey(u.body), source: u.body.source }));
  const released = outcome.kind === 'delivered' ? {} : { released: claims };
  const base = { ...lastError(outcome), ...released };
  switch (verdict.kind) {
    case 'ack':
      if (outcome.kind === 'delivered') {
        const debugId = outcome.debugId ? { debugId: outcome.debugId } : {};
        return {
          actions: units.map((u) => [u, ACK]),
          report: { ...base, sent: claims.map((c) => ({ ...c, ...debugId })) },
          kept: [],
        };
      }
      // Dry run: not delivered, so not remembered; turning credentials on later must not skip these.
      return {
        actions: units.map((u) => [u, ACK]),
        report: { ...base, waiting: units.map((u) => waiting(u, 'dry_run', false)) },
        kept: [],
      };
    case 'retry':
      return {
        actions: units.map((u) => [u, retryAction(ctx, u)]),
        report: {
          ...base,
          failing: verdict.reason,
          waiting: units.map((u) => waiting(u, 'x_unavailable', true, verdict.reason)),
        },
        kept: [],
      };
    case 'requeue': {
      const delay = rateLimitedRetryDelay(verdict.delaySeconds, ctx.random);
      return {
        actions: units.map((u) => [u, { requeue: delay }]),
        report: {
          ...base,
          budgetUntil: ctx.now + verdict.delaySeconds * 1000,
          pauseSeconds: verdict.delaySeconds,
          waiting: units.map((u) => waiting(u, 'rate_limited', true)),
        },
        kept: [],
      };
    }
    case 'hold':
      return {
        ...keep(units, verdict.reason, verdict.message),
        report: {
          ...base,
          refused: verdict.message,
          held: held(units, verdict.reason, verdict.message),
        },
      };
    case 'dead-letter':
      return {
        actions: units.map((u) => [u, ACK]),
        report: {
          ...base,
          deadLetters: units.map((u) => ({
            key: ledgerKey(u.body),
            event: eventName(u.body),
            reason: verdict.reason,
            status: verdict.status,
            message: verdict.message,
            body: u.body,
          })),
        },
        kept: [...units],
      };
  }
}

function held(units: readonly Unit[], reason: 'pixel_refused' | 'event_not_found', error: string) {
  return units.map((u) => ({
    key: ledgerKey(u.body),
    event: eventName(u.body),
    reason,
    body: u.body,
    error,
  }));
}

function keep(
  units: readonly Unit[],
  reason: 'pixel_refused' | 'event_not_found',
  error: string,
): Step {
  return {
    actions: units.map((u) => [u, ACK]),
    report: { held: held(units, reason, error) },
    kept: [...units],
  };
}

/** X refused some event tags (404): their conversions are held, the events isolated. */
export function isolateEvents(
  units: readonly Unit[],
  verdict: Extract<Verdict, { kind: 'isolate' }>,
  outcome: SendOutcome,
): Step & { others: Unit[] } {
  const refused = new Set(verdict.eventIds);
  const mine = units.filter((u) => refused.has(u.body.conversion.event_id));
  const isolated = [...refused].flatMap((eventId) => {
    const sample = mine.find((u) => u.body.conversion.event_id === eventId);
    return sample ? [{ event: eventName(sample.body), eventId, message: verdict.message }] : [];
  });
  const step = keep(mine, 'event_not_found', verdict.message);
  return {
    ...step,
    report: {
      ...step.report,
      ...lastError(outcome),
      released: mine.map((u) => ({ key: ledgerKey(u.body), source: u.body.source })),
      isolated,
    },
    others: units.filter((u) => !refused.has(u.body.conversion.event_id)),
  };
}

/** Steps added up, in order: lists concatenated, the last word kept for single fields. */
export function combine(steps: readonly Step[]): Step {
  const report: ReportPart = {};
  const lists = [
    'sent',
    'released',
    'duplicates',
    'waiting',
    'held',
    'deadLetters',
    'isolated',
  ] as const;
  for (const { report: part } of steps) {
    for (const list of lists) {
      const items = part[list];
      if (items && items.length > 0) {
        (report as Record<string, unknown[]>)[list] = [
          ...((report[list] as unknown[] | undefined) ?? []),
          ...items,
        ];
      }
    }
    for (const field of ['refused', 'failing', 'lastError'] as const) {
      if (part[field] !== undefined) (report as Record<string, unknown>)[field] = part[field];
    }
    for (const field of ['budgetUntil', 'pauseSeconds'] as const) {
      const value = part[field];
      if (value !== undefined) report[field] = Math.max(report[field] ?? 0, value);
    }
  }
  return {
    actions: steps.flatMap((s) => s.actions),
    report,
    kept: steps.flatMap((s) => s.kept),
  };
}

/**
 * What one queue message becomes from its conversions' actions: acked when
 * all are done; retried (keeping Cloudflare's count toward `max_retries`)
 * when all must be retried; otherwise acked, with the unfinished ones
 * re-enqueued, each after its own delay (a retry carrying one more failure).
 */
export function messageOutcome(
  actions: readonly [Unit, Action][],
):
  | { ack: true }
  | { retry: number }
  | { requeue: { body: DeliveryMessage; delaySeconds: number }[] } {
  const open = actions.filter(([, a]) => !('ack' in a));
  if (open.length === 0) return { ack: true };
  if (open.length === actions.length && open.every(([, a]) => 'retry' in a)) {
    return { retry: Math.max(...open.map(([, a]) => ('retry' in a ? a.retry : 0))) };
  }
  return {
    requeue: open.map(([unit, action]) => {
      const { probe: _probe, ...body } = unit.body;
      const failures = failuresSoFar(unit) + ('retry' in action ? 1 : 0);
      const delaySeconds =
        'retry' in action ? action.retry : 'requeue' in action ? action.requeue : 0;
      return { body: { ...body, failures }, delaySeconds };
    }),
  };
}
