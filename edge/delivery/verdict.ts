/**
 * @module
 * What the delivery consumer does with X's answer to one request: a pure
 * function of the outcome, so every rule is a row in a table test and the
 * consumer (./queue-consumer.ts) is left with the I/O.
 *
 * The rules, and why:
 * - delivered, dry run: nothing more to do.
 * - 5xx, timeout, network: X's trouble, likely brief: retry with a backoff that
 *   grows with the failures (it spends one of the queue's `max_retries`).
 * - 429: a wait, not a failure: re-enqueue for X's wait.
 * - 401/403, or a 404 for the pixel: nothing about these conversions is wrong,
 *   our credentials or pixel are. Retrying would burn every message's retries
 *   while someone fixes it, so the pixel is held: its conversions are kept by
 *   the ledger (./delivery-ledger.ts), which probes X and lets them all go when
 *   X accepts again.
 * - a 404 that names event tags ("event_id (o9d2i) does not belong to provided
 *   account"): one wrong `X_EVENTS` entry. Only that event's conversions are
 *   held; the rest of the request is sent again without them.
 * - 400: X refuses a whole request for one bad conversion. Halve until the
 *   bad ones stand alone; a lone refused conversion becomes a dead letter,
 *   kept with X's reason for an operator to look at and redrive.
 */
import type { XErrorItem } from '../errors.ts';
import type { SendOutcome } from '../x-api/x-client.ts';

/** Why the ledger keeps a conversion instead of sending it. */
export type HoldReason = 'pixel_refused' | 'event_not_found';

export type Verdict =
  | { kind: 'ack' }
  | { kind: 'retry'; reason: string }
  | { kind: 'requeue'; delaySeconds: number }
  | { kind: 'hold'; reason: HoldReason; message: string }
  | { kind: 'isolate'; eventIds: string[]; message: string }
  | { kind: 'bisect' }
  | { kind: 'dead-letter'; reason: 'rejected'; status: number; message: string };

/** What the verdict needs to know about the request besides X's answer. */
export interface SentRequest {
  /** Conversions in the request. */
  size: number;
  /** The distinct `event_id`s (Single Event Tags) in it. */
  eventIds: readonly string[];
}

/** X's errors as one line for an operator. */
export function describeErrors(errors: readonly XErrorItem[]): string {
  return errors.map((e) => e.message || e.code).join('; ');
}

/**
 * The tags of `eventIds` that X's 404 names. X words it as
 * `event_id (o9d2i) does not belong to provided account`; a 404 naming no tag
 * of the request (an unknown pixel, a bare 404) is about the pixel.
 */
export function refusedEventIds(
  errors: readonly XErrorItem[],
  eventIds: readonly string[],
): string[] {
  const named = new Set<string>();
  for (const error of errors) {
    if (!/event_id/i.test(`${error.parameter ?? ''} ${error.message}`)) continue;
    for (const id of eventIds) {
      if (error.message.includes(`(${id})`) || error.message.includes(`-${id})`)) named.add(id);
    }
  }
  return [...named];
}

const REFUSED: Record<401 | 403 | 404, string> = {
  401: 'credentials refused',
  403: 'no Ads API access for these credentials',
  404: 'pixel not found',
};

/**
 * Decides what happens to the conversions of one request after X's answer.
 *
 * @example
 * judge({ kind: 'retryable', status: 503, reason: 'X answered 503' }, { size: 3, eventIds: ['o9d2g'] });
 * // { kind: 'retry', reason: 'X answered 503' }
 */
export function judge(outcome: SendOutcome, request: SentRequest): Verdict {
  switch (outcome.kind) {
    case 'delivered':
    case 'dry-run':
      return { kind: 'ack' };
    case 'retryable':
      return { kind: 'retry', reason: outcome.reason };
    case 'rate-limited':
      return { kind: 'requeue', delaySeconds: outcome.retryAfterSeconds };
    case 'misconfigured': {
      const detail = describeErrors(outcome.errors);
      if (outcome.status === 404) {
        const eventIds = refusedEventIds(outcome.errors, request.eventIds);
        if (eventIds.length > 0) {
          return { kind: 'isolate', eventIds, message: `X answers 404: ${detail}` };
        }
      }
      return {
        kind: 'hold',
        reason: 'pixel_refused',
        message: `X answers ${outcome.status}: ${REFUSED[outcome.status]}${detail ? ` (${detail})` : ''}`,
      };
    }
    case 'invalid':
      if (request.size > 1) return { kind: 'bisect' };
      return {
        kind: 'dead-letter',
        reason: 'rejected',
        status: outcome.status,
        message: describeErrors(outcome.errors),
      };
  }
}
