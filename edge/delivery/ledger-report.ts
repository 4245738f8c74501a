/**
 * @module
 * What the consumer and the pixel's `DeliveryLedger` (./delivery-ledger.ts)
 * say to each other: the entries a batch presents to `begin`, its answer, and
 * the report `finish` records; with the pure helpers that build them.
 */
import type { ConversionRow } from './conversion-rows.ts';
import { sourceLabel } from './event-tallies.ts';
import type { DeadLetterReason } from './ledger-views.ts';
import { type ConversionSource, type DeliveryMessage, eventName, ledgerKey } from './message.ts';
import type { Claim, Reservation } from './rate-budget.ts';
import type { HoldReason } from './verdict.ts';

/** Why a conversion is not sent yet, as `/status` counts it. */
export type WaitingReason =
  | 'queued'
  | 'x_unavailable'
  | 'rate_limited'
  | 'in_flight'
  | 'dry_run'
  | 'redriven'
  | HoldReason;

/** One conversion as the consumer presents it: what its row and counts need, and its body. */
export interface LedgerEntry extends Claim {
  /** The tag it will be sent with now. */
  eventId: string;
  probe: boolean;
  /** `sourceLabel` (./event-tallies.ts): browser, server or the webhook. */
  label: string;
  coverage: Coverage;
  body: DeliveryMessage;
}

/** An entry as `finish` needs it again: without its body. */
export type EntryInfo = Omit<LedgerEntry, 'body'> & {
  /** A warning code its status shows (its sealed address could not be opened). */
  warning?: string;
};

export interface Coverage {
  twclid: boolean;
  email: boolean;
  phone: boolean;
  ipUserAgent: boolean;
}

/**
 * The answer to `begin`: each entry's index in exactly one list. Held ones
 * are stored in the ledger; the rest are `RateBudget`'s answer.
 */
export type Admission = { held: number[] } & {
  [list in keyof Omit<Reservation, 'retryAfterSeconds'>]: number[];
} & { retryAfterSeconds: number };

/** What one consumer invocation learned about the pixel's conversions. */
export interface LedgerReport {
  /** Every conversion of the invocation (those named below are among them). */
  entries: EntryInfo[];
  /** Granted and accepted by X. */
  sent: { key: string; source: ConversionSource; debugId?: string }[];
  /** Granted and not accepted: their claims are freed. */
  released: { key: string; source: ConversionSource }[];
  /**
   * Copies the dedup acked unsent: X has the conversion, or another copy (a
   * server copy) is on its way. They say nothing about that copy's fate.
   */
  duplicates: { key: string; probe: boolean; source: ConversionSource }[];
  waiting: { key: string; reason: WaitingReason; tried: boolean; error?: string }[];
  held: { key: string; event: string; reason: HoldReason; body: DeliveryMessage; error: string }[];
  deadLetters: NewDeadLetter[];
  /** Events whose tag X refused with a 404. */
  isolated: { event: string; eventId: string; message: string }[];
  /** X refused the credentials or pixel. */
  refused?: string;
  /** X answered 5xx or timed out. */
  failing?: string;
  /** The budget (ours or X's 429) is spent until then. */
  budgetUntil?: number;
  /** X answered 429: grant nothing for this many seconds. */
  pauseSeconds?: number;
  lastError?: { status: number | null; code: string; message: string };
}

/** A report of `entries` with nothing learned yet. */
export function emptyReport(entries: EntryInfo[]): LedgerReport {
  return {
    entries,
    sent: [],
    released: [],
    duplicates: [],
    waiting: [],
    held: [],
    deadLetters: [],
    isolated: [],
  };
}

/** An entry without its body, as `finish` takes it. */
export function infoOf({ body: _body, ...info }: LedgerEntry): EntryInfo {
  return info;
}

export interface NewDeadLetter {
  key: string;
  event: string;
  reason: DeadLetterReason;
  status: number | null;
  message: string;
  body: DeliveryMessage;
}

export interface RedriveFilter {
  conversionIds?: string[];
  event?: string;
  reason?: string;
}

/** The ledger entry for a message (coverage read from its identifiers). */
export function entryFor(body: DeliveryMessage): LedgerEntry {
  const ids = body.conversion.identifiers;
  return {
    key: ledgerKey(body),
    source: body.source,
    event: eventName(body),
    conversionId: body.conversion.conversion_id,
    eventId: body.conversion.event_id,
    acceptedAt: body.acceptedAt,
    probe: body.probe === true,
    label: sourceLabel(body),
    coverage: {
      twclid: ids.some((i) => 'twclid' in i),
      email: ids.some((i) => 'hashed_email' in i),
      phone: ids.some((i) => 'hashed_phone_number' in i),
      ipUserAgent: body.sealedAddress !== undefined || ids.some((i) => 'ip_address' in i),
    },
    body,
  };
}

/** What the budget needs of an entry. */
export function claimOf(entry: EntryInfo): Claim {
  const { key, source, conversionId, event, acceptedAt } = entry;
  return { key, source, conversionId, event, acceptedAt };
}

/** The row of a conversion seen for the first time. */
export function newRow(entry: EntryInfo, now: number): ConversionRow {
  return {
    key: entry.key,
    conversion_id: entry.conversionId,
    event: entry.event,
    source: entry.source,
    state: 'waiting',
    waiting_reason: 'queued',
    attempts: 0,
    accepted_at: entry.acceptedAt,
    sent_at: null,
    debug_id: null,
    error: null,
    warning: entry.warning ?? null,
    updated_at: now,
  };
}
