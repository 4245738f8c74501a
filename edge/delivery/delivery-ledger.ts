/**
 * @module
 * `DeliveryLedger`: one SQLite-backed Durable Object per pixel that remembers
 * what happened after the 202 and paces what goes to X (its `RateBudget`,
 * ./rate-budget.ts: quota and dedup). Why a Durable Object: the pixel's
 * delivery state must be one truth that concurrent consumer invocations
 * update atomically, and its SQLite needs no other binding. The consumer
 * calls it twice per batch: `begin` (hold, dedup, budget) and `finish` (what
 * X answered). Each method runs its SQL without awaiting anything else, so
 * each is atomic; only the alarm and `redrive` await the queue, and they
 * delete exactly the rows they re-enqueued.
 *
 * What it keeps, and for how long:
 * - `pixel`: the delivery state `/health` reports (./delivery-health.ts) and
 *   the last X error.
 * - `held`: conversions X cannot take yet because it refuses our credentials
 *   or pixel (401/403/404) or one event's tag (404 naming the event_id), with
 *   the queue payload intact (the IP address still sealed). Holding them here
 *   instead of retrying through the queue is what keeps their lives: they
 *   spend no `max_retries`, and one probe stands for all of them. While the
 *   pixel is refused, an alarm re-enqueues one held conversion as a probe
 *   every `PROBE_INTERVAL_MS`; a refused event is probed hourly, and at once
 *   when `X_EVENTS` maps its name to another tag. The first answer after a
 *   refusal that shows X takes our credentials (a delivery, or a 400 about one
 *   conversion's content) releases the rest through the queue, each with its
 *   own dedup key, so none reaches X twice; a probe X rejects becomes a dead
 *   letter and leaves the held set. One row per conversion: a server copy
 *   replaces a held browser copy, never the reverse. Held longer than 7 days:
 *   a dead letter.
 * - `dead_letters`: conversions given up on (X's 400 for that conversion
 *   alone, or waiting past the give-up age), with X's reason and the queue
 *   payload, 30 days; redrive puts them back on the queue.
 * - conversion rows (./conversion-rows.ts): per conversion its state,
 *   attempts, times and X's `debug_id`, no identifiers, 7 days and at most
 *   `MAX_STATUS_ROWS` rows; the same row is the dedup memory.
 * - `counts`: per 5-minute bucket and event, accepted / sent / dead-lettered
 *   and identifier coverage, 25 hours: fixed size, for `/status` windows.
 *
 * Storage bound: status rows are about 200 bytes, so at most ~200 MB; held
 * conversions and dead letters about 1 KB each (a Durable Object holds 10 GB).
 */
import { DurableObject } from 'cloudflare:workers';
import { configFor, settingsOf } from '../config.ts';
import type { Env } from '../env.ts';
import { ConversionRows } from './conversion-rows.ts';
import { type DeliveryFlags, type DeliveryHealth, deliveryHealth } from './delivery-health.ts';
import { CountChanges, createCountTable } from './event-counts.ts';
import {
  addTallies,
  createTallyTable,
  pruneTallies,
  type SkippedConversion,
} from './event-tallies.ts';
import {
  type Admission,
  claimOf,
  type EntryInfo,
  entryFor,
  infoOf,
  type LedgerEntry,
  type LedgerReport,
  type NewDeadLetter,
  newRow,
  type RedriveFilter,
} from './ledger-report.ts';
import {
  BUCKET_MS,
  type ConversionView,
  type DeadLetterPage,
  type DeadLetterQuery,
  HOUR_MS,
  iso,
  type LedgerStatus,
  MAX_REDRIVE_PER_CALL,
  readConversion,
  readDeadLetters,
  readStatus,
} from './ledger-views.ts';
import {
  type ConversionSource,
  type DeliveryMessage,
  MAX_MESSAGES_PER_SEND,
  queueBodies,
  withoutAttempt,
} from './message.ts';
import {
  type BudgetUsage,
  budgetSettings,
  type Claim,
  DEDUP_WINDOW_MS,
  RateBudget,
} from './rate-budget.ts';
import { addressKeyGone, SEAL_KEY_GONE } from './seal-address.ts';
import type { HoldReason } from './verdict.ts';

/** How often a refused pixel is probed; the queue adds seconds, X sees one at least every 60 s. */
export const PROBE_INTERVAL_MS = 50_000;
/** How often a refused event's tag is probed. */
export const EVENT_PROBE_INTERVAL_MS = 60 * 60_000;
/** How long a conversion is held before it becomes a dead letter. */
export const HOLD_MAX_MS = 7 * 24 * 60 * 60_000;
export const DEAD_LETTER_KEEP_MS = 30 * 24 * 60 * 60_000;
export const MAX_STATUS_ROWS = 1_000_000;
const COUNTS_KEEP_MS = 25 * 60 * 60_000;
/** Held conversions released per alarm run; the alarm runs again at once for the rest. */
const RELEASE_PER_ALARM = 5_000;

interface PixelRow {
  blocked_since: number | null;
  blocked_reason: string | null;
  last_probe_at: number;
  failing_since: number | null;
  failing_reason: string | null;
  budget_since: number | null;
  budget_until: number | null;
  changed_at: number;
  last_error: string | null;
  [column: string]: SqlStorageValue;
}

export class DeliveryLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly rows: ConversionRows;
  private readonly budget: RateBudget;
  /**
   * When old rows were last pruned. In memory: after the object restarts, the
   * first alarm prunes at once.
   */
  private prunedAt = 0;
  /** The alarm this object last set: setting it again to the same time would bill a row. */
  private alarmAt: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS pixel (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        blocked_since INTEGER, blocked_reason TEXT, last_probe_at INTEGER NOT NULL DEFAULT 0,
        failing_since INTEGER, failing_reason TEXT, budget_since INTEGER, budget_until INTEGER,
        changed_at INTEGER NOT NULL DEFAULT 0, last_error TEXT);
      CREATE TABLE IF NOT EXISTS isolated (
        event TEXT PRIMARY KEY, event_id TEXT NOT NULL, since INTEGER NOT NULL,
        reason TEXT NOT NULL, last_probe_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS held (
        key TEXT PRIMARY KEY, event TEXT NOT NULL, reason TEXT NOT NULL,
        held_at INTEGER NOT NULL, release INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS held_reason ON held (reason, held_at);
      CREATE INDEX IF NOT EXISTS held_release ON held (release);
      CREATE TABLE IF NOT EXISTS dead_letters (
        key TEXT PRIMARY KEY, conversion_id TEXT NOT NULL, event TEXT NOT NULL,
        reason TEXT NOT NULL, status INTEGER, message TEXT NOT NULL,
        accepted_at INTEGER NOT NULL, dead_at INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS dead_letters_order ON dead_letters (dead_at, key);
    `);
    createCountTable(this.sql);
    createTallyTable(this.sql);
    // Delivery counts as ok from the moment the ledger first exists.
    this.sql.exec('INSERT OR IGNORE INTO pixel (id, changed_at) VALUES (1, ?)', Date.now());
    this.rows = new ConversionRows(this.sql);
    // A broken setting elsewhere must not stop delivery: its own fields fall back to defaults.
    this.budget = new RateBudget(this.sql, this.rows, budgetSettings(settingsOf(configFor(env))));
  }

  /**
   * The first of the consumer's two calls per batch. Holds the entries that
   * must wait (every one while the pixel is refused, and those of a refused
   * event, unless `X_EVENTS` now maps the event to another tag, which
   * releases the event; probes are never held), then asks the budget which of
   * the others may go now. `budgetShare`: the pixels sharing this one's ad
   * account, whose quota they split.
   *
   * @example
   * const admission = await ledger.begin(entries, { ...config.events });
   */
  begin(
    entries: LedgerEntry[],
    eventIds: Readonly<Record<string, string>>,
    now: number = Date.now(),
    budgetShare = 1,
  ): Admission {
    this.budget.share(budgetShare);
    let changed = false;
    const isolated = new Map<string, string>();
    for (const row of this.sql.exec<{ event: string; event_id: string }>(
      'SELECT event, event_id FROM isolated',
    )) {
      const current = eventIds[row.event];
      if (current !== undefined && current !== row.event_id) {
        this.releaseEvent(row.event, now, current);
        changed = true;
      } else {
        isolated.set(row.event, row.event_id);
      }
    }

    const blocked = this.pixel().blocked_since !== null;
    const counts = new CountChanges();
    const held: number[] = [];
    const claims: (Claim & { index: number })[] = [];
    entries.forEach((entry, index) => {
      const reason: HoldReason | undefined = entry.probe
        ? undefined
        : blocked
          ? 'pixel_refused'
          : isolated.get(entry.event) === entry.eventId
            ? 'event_not_found'
            : undefined;
      if (!reason) {
        claims.push({ ...claimOf(entry), index });
        return;
      }
      this.hold(entry, reason, entry.body, null, now, counts);
      held.push(index);
      changed = true;
    });
    const reservation = this.budget.reserve(claims, now, ({ index }) =>
      this.countAccepted([infoOf(entries[index] as LedgerEntry)], counts),
    );
    counts.write(this.sql);
    if (changed) this.scheduleAlarm(now);
    const indexes = (list: { index: number }[]) => list.map((c) => c.index);
    return {
      held,
      granted: indexes(reservation.granted),
      duplicates: indexes(reservation.duplicates),
      inFlight: indexes(reservation.inFlight),
      deferred: indexes(reservation.deferred),
      retryAfterSeconds: reservation.retryAfterSeconds,
    };
  }

  /**
   * The second call: records what happened to the batch and updates the
   * delivery state. A sent conversion costs its one row (written by the
   * budget's `settle`). A delivery (or X's 400 for one conversion's content)
   * while the pixel was refused releases every held conversion; a delivery of
   * a refused event releases that event. Duplicates change no state or count:
   * a conversion is `sent` only on X's 2xx.
   *
   * @example
   * await ledger.finish({ ...emptyReport(entries), sent: [{ key, source: 'server', debugId }] });
   */
  finish(report: LedgerReport, now: number = Date.now()): void {
    const pixel = this.pixel();
    const info = new Map(report.entries.map((e) => [`${e.source}/${e.key}`, e]));
    // The named copy's entry, else (no source named, or none of it) the browser copy's.
    const entryOf = (key: string, source: ConversionSource = 'server') =>
      info.get(`${source}/${key}`) ?? info.get(`browser/${key}`);
    const counts = new CountChanges();

    const delivered = report.sent.flatMap(({ key, source, debugId }) => {
      const entry = entryOf(key, source);
      if (!entry) return [];
      return [
        {
          ...claimOf(entry),
          ...(debugId ? { debugId } : {}),
          ...(entry.warning ? { warning: entry.warning } : {}),
        },
      ];
    });
    const released = report.released.flatMap(({ key, source }) => {
      const entry = entryOf(key, source);
      return entry ? [claimOf(entry)] : [];
    });
    const firstSeen: EntryInfo[] = [];
    // Most batches meet no held conversion and no refused event: one read each says so.
    const anyHeld = this.sql.exec('SELECT 1 FROM held LIMIT 1').toArray().length > 0;
    const anyIsolated = this.sql.exec('SELECT 1 FROM isolated LIMIT 1').toArray().length > 0;
    for (const { claim, firstSeen: isNew, newlySent } of this.budget.settle(
      { delivered, released },
      now,
    )) {
      const entry = entryOf(claim.key, claim.source);
      if (isNew && entry) firstSeen.push(entry);
      if (newlySent) counts.add(now, claim.event, { sent: 1 });
      if (anyHeld) this.sql.exec('DELETE FROM held WHERE key = ?', claim.key);
      if (anyIsolated) this.clearIsolation(claim.event, now);
    }
    // A duplicate leaves the surviving copy's state and counts alone: only X's
    // 2xx makes a conversion sent. A probe that is one stops standing for the held copy.
    for (const duplicate of report.duplicates) {
      if (duplicate.probe) this.dropHeldCopy(duplicate.key, duplicate.source);
    }
    for (const w of report.waiting) {
      const entry = entryOf(w.key);
      if (entry) this.markWaiting(entry, w.reason, w.tried, w.error ?? null, now, counts);
    }
    for (const isolated of report.isolated) {
      this.sql.exec(
        `INSERT INTO isolated (event, event_id, since, reason, last_probe_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (event) DO UPDATE SET event_id = excluded.event_id, reason = excluded.reason,
           last_probe_at = excluded.last_probe_at`,
        isolated.event,
        isolated.eventId,
        now,
        isolated.message,
        now,
      );
    }
    for (const h of report.held) {
      const entry = entryOf(h.key, h.body.source) ?? entryFor(h.body);
      this.hold(entry, h.reason, h.body, h.error, now, counts, true);
    }
    for (const letter of report.deadLetters) {
      // A probe X refused for its content leaves the held set, or every later probe would pick it again.
      if (letter.body.probe) this.dropHeldCopy(letter.key, letter.body.source);
      this.deadLetter(letter, now, counts);
    }
    this.countAccepted(firstSeen, counts);
    counts.write(this.sql);

    if (tookCredentials(report)) {
      if (pixel.blocked_since !== null) {
        this.sql.exec("UPDATE held SET release = 1 WHERE reason = 'pixel_refused' AND release = 0");
      }
      if (pixel.blocked_since !== null || pixel.failing_since !== null) {
        this.sql.exec(
          `UPDATE pixel SET blocked_since = NULL, blocked_reason = NULL, failing_since = NULL,
             failing_reason = NULL, changed_at = ? WHERE id = 1`,
          now,
        );
      }
    }
    if (report.refused) {
      this.sql.exec(
        `UPDATE pixel SET blocked_since = COALESCE(blocked_since, ?), blocked_reason = ?,
           last_probe_at = ? WHERE id = 1`,
        now,
        report.refused,
        now,
      );
    }
    if (report.failing && !tookCredentials(report)) {
      this.sql.exec(
        'UPDATE pixel SET failing_since = COALESCE(failing_since, ?), failing_reason = ? WHERE id = 1',
        now,
        report.failing,
      );
    }
    if (report.pauseSeconds !== undefined) this.budget.pause(report.pauseSeconds, now);
    if (report.budgetUntil !== undefined) {
      this.sql.exec(
        `UPDATE pixel SET budget_since = CASE WHEN COALESCE(budget_until, 0) > ? THEN budget_since ELSE ? END,
           budget_until = MAX(COALESCE(budget_until, 0), ?) WHERE id = 1`,
        now,
        now,
        report.budgetUntil,
      );
    }
    if (report.lastError) {
      this.sql.exec(
        'UPDATE pixel SET last_error = ? WHERE id = 1',
        JSON.stringify({ at: iso(now), ...report.lastError }),
      );
    }
    this.scheduleAlarm(now);
  }

  /** Counts conversions that ingest acknowledged but left unsent on purpose. */
  skip(skipped: SkippedConversion[], now: number = Date.now()): void {
    addTallies(
      this.sql,
      'skipped',
      skipped.map(({ event, reason }) => ({ event, label: reason })),
      { at: now, bucketMs: BUCKET_MS },
    );
    this.scheduleAlarm(now);
  }

  /** The delivery state: one read, for `/health`. */
  health(now: number = Date.now()): DeliveryHealth {
    return deliveryHealth(this.flags(), now);
  }

  /** Counts per event for the last hour and day, the budget, the last X error, and an hourly series. */
  status(now: number = Date.now(), budgetShare = 1): LedgerStatus & { budget: BudgetUsage } {
    this.budget.share(budgetShare);
    const pixel = this.pixel();
    const counts = readStatus(this.sql, this.rows, {
      delivery: deliveryHealth(this.flags(pixel), now),
      lastError: pixel.last_error,
      now,
    });
    return { ...counts, budget: this.budget.usage(now) };
  }

  /** One conversion's state, or null when the ledger does not know it. */
  conversion(conversionId: string, event?: string): ConversionView | null {
    return readConversion(this.rows, conversionId, event);
  }

  /**
   * Dead letters, newest first, without identifiers; one whose sealed address
   * no configured key opens says so (`SEAL_KEY_GONE`) before it is redriven.
   */
  async deadLetters(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const { page, bodies } = readDeadLetters(this.sql, query);
    const keys = settingsOf(configFor(this.env));
    for (const [i, letter] of page.dead_letters.entries()) {
      const body = bodies[i];
      if (body && (await addressKeyGone(keys, JSON.parse(body) as DeliveryMessage))) {
        letter.warnings = [SEAL_KEY_GONE];
      }
    }
    return page;
  }

  /** Keeps a conversion Cloudflare gave up on (it ran out of `max_retries`). */
  keepDeadLetter(letter: NewDeadLetter, now: number = Date.now()): void {
    const counts = new CountChanges();
    this.sql.exec('DELETE FROM held WHERE key = ?', letter.key);
    this.deadLetter(letter, now, counts);
    counts.write(this.sql);
    this.scheduleAlarm(now);
  }

  /**
   * Puts up to `limit` matching dead letters back on the delivery queue,
   * oldest first, as they were accepted (same conversion id: the dedup keeps
   * X from getting one twice), and says how many still match: one call never
   * re-enqueues an unbounded number.
   */
  async redrive(
    filter: RedriveFilter,
    limit: number = MAX_REDRIVE_PER_CALL,
    now: number = Date.now(),
  ): Promise<{ redriven: number; remaining: number }> {
    const ids = filter.conversionIds;
    const matching = `FROM dead_letters
         WHERE (? IS NULL OR event = ?) AND (? IS NULL OR reason = ?)
           AND (? IS NULL OR conversion_id IN (SELECT value FROM json_each(?)))`;
    const params = [
      filter.event ?? null,
      filter.event ?? null,
      filter.reason ?? null,
      filter.reason ?? null,
      ids ? 1 : null,
      JSON.stringify(ids ?? []),
    ];
    const letters = this.sql
      .exec<{ key: string; event: string; dead_at: number; body: string }>(
        `SELECT key, event, dead_at, body ${matching} ORDER BY dead_at, key LIMIT ?`,
        ...params,
        Math.min(Math.max(1, limit), MAX_REDRIVE_PER_CALL),
      )
      .toArray();
    const counts = new CountChanges();
    await this.enqueue(letters.map((r) => JSON.parse(r.body) as DeliveryMessage));
    for (const { key, event, dead_at } of letters) {
      this.sql.exec('DELETE FROM dead_letters WHERE key = ?', key);
      const row = this.rows.get(key);
      if (row?.state !== 'dead_lettered') continue;
      this.rows.put({ ...row, state: 'waiting', waiting_reason: 'redriven', updated_at: now }, row);
      // No longer dead: uncounted where it was counted, so a redrive that X then
      // takes is counted sent, not sent and dead.
      if (Math.floor(dead_at / BUCKET_MS) * BUCKET_MS > now - COUNTS_KEEP_MS) {
        counts.add(dead_at, event, { dead_lettered: -1 });
      }
    }
    counts.write(this.sql);
    const remaining = this.sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n ${matching}`, ...params)
      .one().n;
    return { redriven: letters.length, remaining };
  }

  /**
   * Releases held conversions, probes a refused pixel or event, turns
   * conversions held too long into dead letters, and prunes old rows.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    await this.runDue(Date.now());
  }

  /**
   * The alarm's work as of `now`. Tests call it with a later `now` to stand
   * for time passing (a probe interval, an hour, 7 days).
   */
  async runDue(now: number): Promise<void> {
    const released = this.sql
      .exec<{ key: string; body: string }>(
        'SELECT key, body FROM held WHERE release = 1 LIMIT ?',
        RELEASE_PER_ALARM,
      )
      .toArray();
    await this.enqueue(released.map((r) => JSON.parse(r.body) as DeliveryMessage));
    for (const { key } of released) {
      this.sql.exec('DELETE FROM held WHERE key = ? AND release = 1', key);
    }

    // Expiry first: a conversion given up on is not sent out as a probe.
    const counts = new CountChanges();
    for (const row of this.sql
      .exec<{ key: string; event: string; body: string }>(
        'SELECT key, event, body FROM held WHERE held_at <= ? AND release = 0',
        now - HOLD_MAX_MS,
      )
      .toArray()) {
      this.sql.exec('DELETE FROM held WHERE key = ?', row.key);
      this.deadLetter(
        {
          key: row.key,
          event: row.event,
          reason: 'expired',
          status: null,
          message: 'held 7 days while X refused delivery',
          body: JSON.parse(row.body) as DeliveryMessage,
        },
        now,
        counts,
      );
    }
    counts.write(this.sql);
    const pixel = this.pixel();
    if (pixel.blocked_since !== null && now - pixel.last_probe_at >= PROBE_INTERVAL_MS) {
      this.sql.exec('UPDATE pixel SET last_probe_at = ? WHERE id = 1', now);
      await this.probe("reason = 'pixel_refused'", []);
    }
    for (const row of this.sql
      .exec<{ event: string; last_probe_at: number }>('SELECT event, last_probe_at FROM isolated')
      .toArray()) {
      if (now - row.last_probe_at < EVENT_PROBE_INTERVAL_MS) continue;
      this.sql.exec('UPDATE isolated SET last_probe_at = ? WHERE event = ?', now, row.event);
      await this.probe("reason = 'event_not_found' AND event = ?", [row.event]);
    }

    this.prune(now);
    this.scheduleAlarm(now);
  }

  /** Re-enqueues the oldest matching held conversion, marked as a probe. */
  private async probe(where: string, params: SqlStorageValue[]): Promise<void> {
    const row = this.sql
      .exec<{ body: string }>(
        `SELECT body FROM held WHERE release = 0 AND ${where} ORDER BY held_at LIMIT 1`,
        ...params,
      )
      .toArray()[0];
    if (!row) return;
    await this.enqueue([{ ...(JSON.parse(row.body) as DeliveryMessage), probe: true }]);
  }

  private async enqueue(bodies: DeliveryMessage[]): Promise<void> {
    if (bodies.length === 0) return;
    const queue = this.env.DELIVERY_QUEUE;
    if (!queue) throw new Error('DELIVERY_QUEUE binding missing');
    // Held and dead-lettered bodies are kept without attempt state; a probe adds its flag.
    const messages = queueBodies(bodies).map((body) => ({ body, contentType: 'json' as const }));
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_SEND) {
      await queue.sendBatch(messages.slice(i, i + MAX_MESSAGES_PER_SEND));
    }
  }

  private hold(
    entry: EntryInfo,
    reason: HoldReason,
    body: DeliveryMessage,
    error: string | null,
    now: number,
    counts: CountChanges,
    tried = false,
  ): void {
    this.sql.exec(
      // One row per conversion: a server copy replaces a held browser copy, never the reverse
      // (server copies win, as in ./rate-budget.ts); otherwise the first copy stays.
      `INSERT INTO held (key, event, reason, held_at, release, body) VALUES (?, ?, ?, ?, 0, ?)
       ON CONFLICT (key) DO UPDATE SET reason = excluded.reason, release = 0,
         body = CASE WHEN json_extract(held.body, '$.source') = 'browser'
                       AND json_extract(excluded.body, '$.source') = 'server'
                     THEN excluded.body ELSE held.body END`,
      entry.key,
      entry.event,
      reason,
      now,
      JSON.stringify(withoutAttempt(body)),
    );
    this.markWaiting(entry, reason, tried, error, now, counts);
  }

  /** Forgets the held copy of `key` if it is the `source` one (a probe of it came back settled). */
  private dropHeldCopy(key: string, source: ConversionSource): void {
    this.sql.exec(
      `DELETE FROM held WHERE key = ? AND json_extract(body, '$.source') = ?`,
      key,
      source,
    );
  }

  /**
   * A conversion still waiting, now for `reason`; a failed try counts as an
   * attempt. A row already saying so is not written again; a sent or
   * dead-lettered one is left alone.
   */
  private markWaiting(
    entry: EntryInfo,
    reason: string,
    tried: boolean,
    error: string | null,
    now: number,
    counts: CountChanges,
  ): void {
    const row = this.rows.get(entry.key);
    if (row && row.state !== 'waiting') return;
    if (row && row.waiting_reason === reason && !tried && (error === null || row.error === error)) {
      return;
    }
    this.rows.put(
      {
        ...(row ?? newRow(entry, now)),
        state: 'waiting',
        waiting_reason: reason,
        attempts: (row?.attempts ?? 0) + (tried ? 1 : 0),
        error: error ?? row?.error ?? null,
        warning: entry.warning ?? row?.warning ?? null,
        updated_at: now,
      },
      row,
    );
    if (!row) this.countAccepted([entry], counts);
  }

  private deadLetter(letter: NewDeadLetter, now: number, counts: CountChanges): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO dead_letters
         (key, conversion_id, event, reason, status, message, accepted_at, dead_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      letter.key,
      letter.body.conversion.conversion_id,
      letter.event,
      letter.reason,
      letter.status,
      letter.message,
      letter.body.acceptedAt,
      now,
      JSON.stringify(withoutAttempt(letter.body)),
    );
    const row = this.rows.get(letter.key);
    // X already has the conversion (another copy was sent): the letter is kept, the state stays sent.
    if (row?.state === 'sent') return;
    const entry = entryFor(letter.body);
    this.rows.put(
      {
        ...(row ?? newRow(entry, now)),
        state: 'dead_lettered',
        waiting_reason: null,
        attempts: (row?.attempts ?? 0) + (letter.reason === 'rejected' ? 1 : 0),
        error: letter.message,
        updated_at: now,
      },
      row,
    );
    if (!row) this.countAccepted([entry], counts);
    if (row?.state !== 'dead_lettered') counts.add(now, letter.event, { dead_lettered: 1 });
  }

  /** Counts conversions seen for the first time: accepted, coverage and source. */
  private countAccepted(entries: readonly EntryInfo[], counts: CountChanges): void {
    for (const { acceptedAt, event, coverage: c } of entries) {
      counts.add(acceptedAt, event, {
        accepted: 1,
        twclid: c.twclid ? 1 : 0,
        email: c.email ? 1 : 0,
        phone: c.phone ? 1 : 0,
        ip_user_agent: c.ipUserAgent ? 1 : 0,
      });
    }
    const byBucket = new Map<number, { event: string; label: string }[]>();
    for (const { acceptedAt, event, label } of entries) {
      const bucket = Math.floor(acceptedAt / BUCKET_MS) * BUCKET_MS;
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), { event, label }]);
    }
    for (const [at, tallies] of byBucket) {
      addTallies(this.sql, 'source', tallies, { at, bucketMs: BUCKET_MS });
    }
  }

  /**
   * Lets an event's held conversions go. With `eventId` (X_EVENTS now maps the
   * event to another tag) they leave with that tag, whichever consumer reads them.
   */
  private releaseEvent(event: string, now: number, eventId?: string): void {
    this.sql.exec('DELETE FROM isolated WHERE event = ?', event);
    if (eventId !== undefined) {
      this.sql.exec(
        // The sealed address stays bound to the tag it was sealed with.
        `UPDATE held SET body = json_set(body, '$.sealedEventId',
           COALESCE(json_extract(body, '$.sealedEventId'), json_extract(body, '$.conversion.event_id')))
         WHERE reason = 'event_not_found' AND event = ? AND json_extract(body, '$.sealedAddress') IS NOT NULL`,
        event,
      );
      this.sql.exec(
        `UPDATE held SET body = json_set(body, '$.conversion.event_id', ?)
         WHERE reason = 'event_not_found' AND event = ?`,
        eventId,
        event,
      );
    }
    this.sql.exec(
      "UPDATE held SET release = 1 WHERE reason = 'event_not_found' AND event = ?",
      event,
    );
    this.sql.exec('UPDATE pixel SET changed_at = ? WHERE id = 1', now);
  }

  private clearIsolation(event: string, now: number): void {
    const isolated = this.sql.exec('SELECT 1 FROM isolated WHERE event = ?', event).toArray()[0];
    if (isolated) this.releaseEvent(event, now);
  }

  private pixel(): PixelRow {
    return this.sql.exec<PixelRow>('SELECT * FROM pixel WHERE id = 1').one();
  }

  private flags(p: PixelRow = this.pixel()): DeliveryFlags {
    const isolated = this.sql
      .exec<{ event: string; since: number; reason: string }>(
        'SELECT event, since, reason FROM isolated ORDER BY since',
      )
      .toArray();
    return {
      ...(p.blocked_since !== null
        ? { blocked: { since: p.blocked_since, reason: p.blocked_reason ?? 'X refuses delivery' } }
        : {}),
      isolated,
      ...(p.failing_since !== null
        ? { failing: { since: p.failing_since, reason: p.failing_reason ?? 'X unavailable' } }
        : {}),
      ...(p.budget_until !== null
        ? { budget: { since: p.budget_since ?? p.budget_until, until: p.budget_until } }
        : {}),
      changedAt: p.changed_at,
    };
  }

  private prune(now: number): void {
    this.prunedAt = now;
    this.rows.prune(now, { maxRows: MAX_STATUS_ROWS, dedupWindowMs: DEDUP_WINDOW_MS });
    this.sql.exec('DELETE FROM dead_letters WHERE dead_at <= ?', now - DEAD_LETTER_KEEP_MS);
    this.sql.exec('DELETE FROM counts WHERE bucket <= ?', now - COUNTS_KEEP_MS);
    pruneTallies(this.sql, now - COUNTS_KEEP_MS);
  }

  /** The next time anything is due: a release, a probe, an expiry or housekeeping. */
  private scheduleAlarm(now: number): void {
    const due: number[] = [];
    if (this.sql.exec('SELECT 1 FROM held WHERE release = 1 LIMIT 1').toArray()[0]) due.push(now);
    const pixel = this.pixel();
    if (pixel.blocked_since !== null) due.push(pixel.last_probe_at + PROBE_INTERVAL_MS);
    const events = this.sql
      .exec<{ at: number | null }>('SELECT MIN(last_probe_at) AS at FROM isolated')
      .one().at;
    if (events !== null) due.push(events + EVENT_PROBE_INTERVAL_MS);
    const oldest = this.sql
      .exec<{ at: number | null }>('SELECT MIN(held_at) AS at FROM held')
      .one().at;
    if (oldest !== null) due.push(oldest + HOLD_MAX_MS);
    // Housekeeping an hour after the last, while there is anything to prune: counted
    // from `now`, every batch would push it out again and a busy pixel never prunes.
    if (
      this.rows.count() > 0 ||
      this.sql.exec('SELECT 1 FROM counts UNION ALL SELECT 1 FROM tallies LIMIT 1').toArray()[0]
    ) {
      due.push(this.prunedAt + HOUR_MS);
    }
    if (due.length === 0) return;
    const at = Math.max(now, Math.min(...due));
    if (at === this.alarmAt) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}

/**
 * Whether X got past our credentials in this report: it took a conversion
 * (2xx) or refused one for its content (400), either of which ends a refusal.
 */
function tookCredentials(report: LedgerReport): boolean {
  return report.sent.length > 0 || report.deadLetters.length > 0;
}
