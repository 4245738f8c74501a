/**
 * @module
 * `RateBudget`: the part of the pixel's `DeliveryLedger` (./delivery-ledger.ts)
 * that knows how many events we sent X recently and which conversions X
 * already accepted. The Durable Object is single-threaded, and every method
 * here runs without an `await`, so each call is atomic: two consumer
 * invocations can never both spend the last of the budget or both claim the
 * same conversion.
 *
 * Budget: a sliding window log (one row per grant and source) of
 * `X_RATE_LIMIT_EVENTS` events per `X_RATE_LIMIT_WINDOW_SECONDS` (X documents
 * 60,000 per 15 min). Browser copies may spend at most
 * `100 - SERVER_BUDGET_PERCENT` percent of it, so no flood of forged beacons
 * can take the share kept for server calls; within one `reserve` server
 * claims are served first.
 *
 * Dedup (why here, and why this way): queues deliver at least once and
 * callers retry, so the same conversion can reach the consumer twice. Ingest
 * cannot dedup (it answers before delivery and the copies may arrive at
 * different edges); the consumer asks this object first. A conversion is
 * *leased* when reserved and marked *delivered* (for 48 hours) only after X
 * accepted it; a failed send releases the lease so a retry can claim it again.
 * So nothing is skipped that X has not taken (at-least-once is kept). Leases
 * live in memory, for the seconds between `reserve` and `settle`: writing them
 * would cost a row per conversion. The only ways to send twice are a restart
 * of the object while a lease is out and a crash between X's 200 and `settle`,
 * both of which X's own `conversion_id` dedup absorbs. Delivered is the
 * conversion's row (./conversion-rows.ts), written once, by `settle`.
 *
 * Server copies are authoritative. Anyone can send a browser call claiming
 * `conversion_id: "order-1001"`, and a page's beacon often shares the id of
 * the backend's call, so each row records which copy holds it:
 * - a browser copy finding a server copy (waiting for budget, leased or
 *   delivered) is a duplicate: acked, never sent;
 * - a browser copy finding a browser copy leased waits; delivered, duplicate;
 * - a server copy finding a server copy leased waits; delivered, duplicate;
 * - a server copy finding a browser copy leased or delivered is sent anyway
 *   and takes the row over: the edge never drops it for a browser copy. What X
 *   does with it is X's rule: X counts event + `conversion_id` once within
 *   48 hours, so if the browser copy reached X first, X keeps counting that
 *   one. Ingest holds browser copies back (`BROWSER_HOLD_SECONDS`, see
 *   ./dispatch.ts) so that a backend calling within the hold reaches X first;
 *   a forged browser copy sent long before the real order still wins at X,
 *   which is why the README recommends keeping order ids unguessable;
 * - a server copy that must wait for budget leaves a `waiting` row, so a
 *   browser copy arriving meanwhile is a duplicate, not a rival.
 * A late settle of a browser copy never overwrites a server row.
 *
 * Rows are bounded (`DEDUP_MAX_ROWS`): at the cap, the oldest
 * browser-delivered rows are evicted (a redelivered copy of one could then be
 * sent again, which X's own dedup absorbs); if none is left to evict, new
 * browser claims are deferred and the cap is logged. Server rows are never
 * evicted: X's quota bounds them.
 */
import type { EdgeConfig } from '../config.ts';
import { log } from '../log.ts';
import type { ConversionRow, ConversionRows } from './conversion-rows.ts';
import type { ConversionSource } from './message.ts';

/** How long X-accepted conversion ids are remembered. */
export const DEDUP_WINDOW_MS = 48 * 60 * 60 * 1000;
/** How long a claim lasts if the consumer dies before settling it. */
export const LEASE_MS = 5 * 60 * 1000;
/** How long a browser claim refused at the row cap waits before asking again. */
const ROW_CAP_RETRY_MS = 60 * 1000;
/** Browser-delivered rows evicted at once when the cap is reached. */
const EVICTION_CHUNK = 100;

/** One copy of a conversion asking to be sent. */
export interface Claim {
  /** The conversion's key (`ledgerKey` in ./message.ts). */
  key: string;
  source: ConversionSource;
  conversionId: string;
  event: string;
  acceptedAt: number;
}

/** A claim X accepted, with what its row records beside. */
export interface DeliveredClaim extends Claim {
  debugId?: string;
  /** A warning code the conversion's status shows (the sealed address was lost). */
  warning?: string;
}

/** The answer to `reserve`: every claim lands in exactly one list, as the same object. */
export interface Reservation<C = Claim> {
  /** Claimed and paid for from the budget: send these now, then `settle` them. */
  granted: C[];
  /** X already accepted these within 48 hours (or a server copy holds them): acknowledge without sending. */
  duplicates: C[];
  /**
   * Another consumer holds these right now (a redelivered or resent copy):
   * check back soon; they become duplicates once the holder delivers them, or
   * free again if it fails or its lease (`LEASE_MS`) runs out.
   */
  inFlight: C[];
  /** No budget (or, for browser claims, no dedup room) left for these: try again after `retryAfterSeconds`. */
  deferred: C[];
  /** Seconds until the budget can take the `deferred` claims (0 if none). */
  retryAfterSeconds: number;
}

/** What happened to granted claims. */
export interface Settlement {
  /** X accepted these: remember them for 48 hours. */
  delivered: DeliveredClaim[];
  /** Not delivered (failed, rejected or dry run): free the claim. */
  released: Claim[];
}

/** A delivered claim whose row `settle` wrote, and whether that made it newly seen or newly sent. */
export interface Recorded {
  claim: DeliveredClaim;
  firstSeen: boolean;
  newlySent: boolean;
}

/** The budget as `/status` shows it. */
export interface BudgetUsage {
  limit: number;
  used: number;
  windowSeconds: number;
  /** When the oldest grant in the window leaves it (epoch ms), or null. */
  resetsAt: number | null;
}

export interface BudgetSettings {
  limitEvents: number;
  windowMs: number;
  /** Percent of the budget no browser copy may spend. */
  serverBudgetPercent: number;
  maxRows: number;
}

/** The budget's settings from the edge's configuration. */
export function budgetSettings(config: EdgeConfig): BudgetSettings {
  return {
    limitEvents: config.rateLimit.events,
    windowMs: config.rateLimit.windowSeconds * 1000,
    serverBudgetPercent: config.serverBudgetPercent,
    maxRows: config.dedupMaxRows,
  };
}

/** What a claim meets: the row of its key (X's copy or a waiting server copy) and any lease. */
type Seen = { source: ConversionSource; state: 'leased' | 'delivered' | 'waiting' } | undefined;

/** What a claim meets in the dedup memory (see the module header for the cases). */
function verdictFor(source: ConversionSource, seen: Seen) {
  if (!seen) return 'claim';
  if (source === 'browser') {
    if (seen.source === 'server' || seen.state === 'delivered') return 'duplicate';
    return seen.state === 'leased' ? 'in-flight' : 'claim';
  }
  if (seen.source === 'browser' || seen.state === 'waiting') return 'claim';
  return seen.state === 'delivered' ? 'duplicate' : 'in-flight';
}

export class RateBudget {
  /** Most events browser copies may spend per window. */
  private browserLimit = 1;
  /** Events per window for this pixel: X's per-account quota over the pixels sharing it. */
  private limitEvents = 1;
  /** Claims granted and not settled yet: key to holder and lease end. */
  private readonly leases = new Map<string, { source: ConversionSource; until: number }>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly rows: ConversionRows,
    private readonly settings: BudgetSettings,
  ) {
    this.share(1);
    sql.exec(`
      CREATE TABLE IF NOT EXISTS spending (
        at INTEGER NOT NULL, source TEXT NOT NULL, events INTEGER NOT NULL,
        PRIMARY KEY (at, source)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS pause (id INTEGER PRIMARY KEY CHECK (id = 1), until INTEGER NOT NULL);
    `);
  }

  /**
   * Takes this pixel's part of the quota: X limits per ad account, so the
   * `pixels` sharing an account split it evenly (at least one event each).
   */
  share(pixels: number): this {
    const { limitEvents, serverBudgetPercent } = this.settings;
    this.limitEvents = Math.max(1, Math.floor(limitEvents / Math.max(1, pixels)));
    this.browserLimit = Math.max(
      1,
      Math.floor((this.limitEvents * (100 - serverBudgetPercent)) / 100),
    );
    return this;
  }

  /**
   * Claims what is neither delivered nor in flight, as far as the budget
   * allows (one event each): server claims first, then browser claims within
   * their share. `firstSeen` hears of each conversion this call wrote the
   * first row of (a server copy now waiting), for the ledger's counts.
   */
  reserve<C extends Claim>(
    claims: C[],
    now: number,
    firstSeen: (claim: C) => void = () => {},
  ): Reservation<C> {
    this.sql.exec('DELETE FROM spending WHERE at <= ?', now - this.settings.windowMs);
    for (const [key, lease] of this.leases) if (lease.until <= now) this.leases.delete(key);
    const result: Reservation<C> = {
      granted: [],
      duplicates: [],
      inFlight: [],
      deferred: [],
      retryAfterSeconds: 0,
    };
    const pausedUntil = this.pausedUntil();
    let available = pausedUntil > now ? 0 : this.limitEvents - this.spent();
    let browserAvailable = this.browserLimit - this.spent('browser');
    const spent = { server: 0, browser: 0 };
    const deferredBy = { server: 0, browser: 0, rowCap: 0 };
    const ordered = [
      ...claims.filter((c) => c.source === 'server'),
      ...claims.filter((c) => c.source === 'browser'),
    ];
    for (const claim of ordered) {
      const row = this.rows.get(claim.key);
      const verdict = verdictFor(claim.source, this.seen(claim.key, row, now));
      if (verdict === 'duplicate') {
        result.duplicates.push(claim);
        continue;
      }
      if (verdict === 'in-flight') {
        result.inFlight.push(claim);
        continue;
      }
      if (claim.source === 'browser' && !row && !this.roomForBrowserRow()) {
        deferredBy.rowCap += 1;
        result.deferred.push(claim);
        continue;
      }
      const affordable =
        claim.source === 'server' ? available > 0 : available > 0 && browserAvailable > 0;
      if (affordable) {
        available -= 1;
        if (claim.source === 'browser') browserAvailable -= 1;
        spent[claim.source] += 1;
        result.granted.push(claim);
        this.leases.set(claim.key, { source: claim.source, until: now + LEASE_MS });
      } else {
        deferredBy[claim.source] += 1;
        result.deferred.push(claim);
        // A waiting server copy holds its id against browser copies arriving meanwhile.
        if (claim.source === 'server' && this.rows.put(waitingRow(claim, row, now), row)) {
          firstSeen(claim);
        }
      }
    }
    for (const source of ['server', 'browser'] as const) {
      if (spent[source] > 0) {
        this.sql.exec(
          `INSERT INTO spending (at, source, events) VALUES (?, ?, ?)
           ON CONFLICT (at, source) DO UPDATE SET events = events + excluded.events`,
          now,
          source,
          spent[source],
        );
      }
    }
    let waitMs = 0;
    if (deferredBy.server + deferredBy.browser > 0) {
      waitMs = Math.max(
        pausedUntil - now,
        this.msUntilFree(deferredBy.server + deferredBy.browser, now),
      );
    }
    if (deferredBy.browser > 0) {
      waitMs = Math.max(waitMs, this.msUntilFree(deferredBy.browser, now, 'browser'));
    }
    if (deferredBy.rowCap > 0) {
      waitMs = Math.max(waitMs, ROW_CAP_RETRY_MS);
      log.warn('dedup memory full: browser conversions wait until rows expire (DEDUP_MAX_ROWS)', {
        rows: this.rows.count(),
        max_rows: this.settings.maxRows,
        count: deferredBy.rowCap,
      });
    }
    result.retryAfterSeconds = waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
    return result;
  }

  /**
   * Records the outcome of a send: a delivered claim's row is written (the one
   * write a sent conversion costs) and remembered for 48 hours; a released
   * claim can be claimed again. A browser copy's outcome never overwrites a
   * row a server copy took over meanwhile.
   */
  settle(settlement: Settlement, now: number): Recorded[] {
    const recorded: Recorded[] = [];
    for (const claim of settlement.delivered) {
      const lease = this.leases.get(claim.key);
      if (lease?.source === claim.source) this.leases.delete(claim.key);
      const row = this.rows.get(claim.key);
      if (claim.source === 'browser' && (row?.source === 'server' || lease?.source === 'server')) {
        continue;
      }
      this.rows.put(
        {
          key: claim.key,
          conversion_id: claim.conversionId,
          event: claim.event,
          source: claim.source,
          state: 'sent',
          waiting_reason: null,
          attempts: (row?.attempts ?? 0) + 1,
          accepted_at: row?.accepted_at ?? claim.acceptedAt,
          sent_at: now,
          debug_id: claim.debugId ?? null,
          error: null,
          warning: claim.warning ?? row?.warning ?? null,
          updated_at: now,
        },
        row,
      );
      recorded.push({ claim, firstSeen: !row, newlySent: row?.state !== 'sent' });
    }
    for (const claim of settlement.released) {
      if (this.leases.get(claim.key)?.source === claim.source) this.leases.delete(claim.key);
    }
    return recorded;
  }

  /**
   * X answered 429: grant nothing until it said we may try again, whatever our
   * own count says (X's count is the one that matters).
   */
  pause(retryAfterSeconds: number, now: number): void {
    const until = now + Math.max(0, retryAfterSeconds) * 1000;
    this.sql.exec(
      'INSERT INTO pause (id, until) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET until = MAX(until, excluded.until)',
      until,
    );
  }

  /**
   * The budget as `/status` shows it: events granted in the sliding window,
   * and when the oldest of them leaves it (null when none was granted). A
   * read: it skips grants older than the window instead of deleting them.
   */
  usage(now: number): BudgetUsage {
    const { windowMs } = this.settings;
    const { used, oldest } = this.sql
      .exec<{ used: number | null; oldest: number | null }>(
        'SELECT SUM(events) AS used, MIN(at) AS oldest FROM spending WHERE at > ?',
        now - windowMs,
      )
      .one();
    return {
      limit: this.limitEvents,
      used: used ?? 0,
      windowSeconds: windowMs / 1000,
      resetsAt: oldest === null ? null : oldest + windowMs,
    };
  }

  /** What a claim of `key` meets: an unexpired lease first, then the row's dedup state. */
  private seen(key: string, row: ConversionRow | undefined, now: number): Seen {
    const lease = this.leases.get(key);
    if (lease && lease.until > now) return { source: lease.source, state: 'leased' };
    if (lease) this.leases.delete(key);
    if (!row) return undefined;
    if (row.state === 'sent' && row.sent_at !== null && row.sent_at + DEDUP_WINDOW_MS > now) {
      return { source: row.source, state: 'delivered' };
    }
    if (
      row.state === 'waiting' &&
      row.waiting_reason === 'rate_limited' &&
      row.source === 'server'
    ) {
      return { source: 'server', state: 'waiting' };
    }
    return undefined;
  }

  /**
   * Whether one more browser row fits (a lease is a row to come), evicting
   * the oldest browser-delivered rows at the cap.
   */
  private roomForBrowserRow(): boolean {
    const { maxRows } = this.settings;
    const used = () => this.rows.count() + this.leases.size;
    if (used() < maxRows) return true;
    const evicted = this.rows.evictBrowserSent(Math.max(EVICTION_CHUNK, used() - maxRows + 1));
    if (evicted > 0) {
      log.warn('dedup memory full: oldest browser-delivered rows evicted (DEDUP_MAX_ROWS)', {
        max_rows: maxRows,
        count: evicted,
      });
    }
    return used() < maxRows;
  }

  /** Events granted within the current window, to one source or to all. */
  private spent(source?: ConversionSource): number {
    const row = (
      source
        ? this.sql.exec<{ total: number | null }>(
            'SELECT SUM(events) AS total FROM spending WHERE source = ?',
            source,
          )
        : this.sql.exec<{ total: number | null }>('SELECT SUM(events) AS total FROM spending')
    ).toArray()[0];
    return row?.total ?? 0;
  }

  private pausedUntil(): number {
    const row = this.sql
      .exec<{ until: number }>('SELECT until FROM pause WHERE id = 1')
      .toArray()[0];
    return row?.until ?? 0;
  }

  /** Milliseconds until old grants leave the window and free `needed` events (of one source's share). */
  private msUntilFree(needed: number, now: number, source?: ConversionSource): number {
    const limit = source === 'browser' ? this.browserLimit : this.limitEvents;
    let excess = this.spent(source) + needed - limit;
    if (excess <= 0) return 0;
    const grants = source
      ? this.sql.exec<{ at: number; events: number }>(
          'SELECT at, events FROM spending WHERE source = ? ORDER BY at',
          source,
        )
      : this.sql.exec<{ at: number; events: number }>(
          'SELECT at, events FROM spending ORDER BY at',
        );
    for (const grant of grants) {
      excess -= grant.events;
      if (excess <= 0) return grant.at + this.settings.windowMs - now;
    }
    // More than the whole limit at once: the full window is the honest answer.
    return this.settings.windowMs;
  }
}

/** The row of a server copy waiting for budget; the row it replaces keeps its history. */
function waitingRow(claim: Claim, row: ConversionRow | undefined, now: number): ConversionRow {
  return {
    key: claim.key,
    conversion_id: claim.conversionId,
    event: claim.event,
    source: 'server',
    state: 'waiting',
    waiting_reason: 'rate_limited',
    attempts: row?.attempts ?? 0,
    accepted_at: row?.accepted_at ?? claim.acceptedAt,
    sent_at: null,
    debug_id: null,
    error: row?.error ?? null,
    warning: row?.warning ?? null,
    updated_at: now,
  };
}
