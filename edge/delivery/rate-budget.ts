/**
 * @module
 * `RateBudget`: one SQLite-backed Durable Object per pixel (ad account), the
 * single place that knows how many events we sent X recently and which
 * conversions X already accepted. A Durable Object is single-threaded, and
 * every method here runs without an `await`, so each call is atomic: two
 * consumer invocations can never both spend the last of the budget or both
 * claim the same conversion.
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
 * So nothing is skipped that X has not taken (at-least-once is kept), and the
 * only way to send twice is a crash between X's 200 and `settle`, which X's own
 * `conversion_id` dedup then absorbs.
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
 * Rows are bounded (`DEDUP_MAX_ROWS`): expired rows go first (every call);
 * at the cap, the oldest browser-delivered rows are evicted (a redelivered
 * copy of one could then be sent again, which X's own dedup absorbs); if none
 * is left to evict, new browser claims are deferred and the cap is logged.
 * Server rows are never evicted: X's quota bounds them.
 */
import { DurableObject } from 'cloudflare:workers';
import { configFor, settingsOf } from '../config.ts';
import type { Env } from '../env.ts';
import { log } from '../log.ts';
import { type ConversionSource, parseClaim } from './message.ts';

/** How long X-accepted conversion ids are remembered. */
export const DEDUP_WINDOW_MS = 48 * 60 * 60 * 1000;
/** How long a claim lasts if the consumer dies before settling it. */
export const LEASE_MS = 5 * 60 * 1000;
/** How long a browser claim refused at the row cap waits before asking again. */
const ROW_CAP_RETRY_MS = 60 * 1000;
/** Browser-delivered rows evicted at once when the cap is reached. */
const EVICTION_CHUNK = 100;

/**
 * The answer to `reserve`: every claim (see `claimKey` in ./message.ts) lands
 * in exactly one list.
 */
export interface Reservation {
  /** Claimed and paid for from the budget: send these now, then `settle` them. */
  granted: string[];
  /** X already accepted these within 48 hours (or a server copy holds them): acknowledge without sending. */
  duplicates: string[];
  /**
   * Another consumer holds these right now (a redelivered or resent copy):
   * check back soon; they become duplicates once the holder delivers them, or
   * free again if it fails or its lease (`LEASE_MS`) runs out.
   */
  inFlight: string[];
  /** No budget (or, for browser claims, no dedup room) left for these: try again after `retryAfterSeconds`. */
  deferred: string[];
  /** Seconds until the budget can take the `deferred` claims (0 if none). */
  retryAfterSeconds: number;
}

/** What happened to granted claims. */
export interface Settlement {
  /** X accepted these: remember them for 48 hours. */
  delivered: string[];
  /** Not delivered (failed, rejected or dry run): free the claim. */
  released: string[];
}

type ClaimState = 'leased' | 'delivered' | 'waiting';
type ClaimRow = {
  source: ConversionSource;
  state: ClaimState;
};

/** What a claim meets in the dedup table (see the module header for the cases). */
function verdictFor(source: ConversionSource, row: ClaimRow | undefined) {
  if (!row) return 'claim';
  if (source === 'browser') {
    if (row.source === 'server' || row.state === 'delivered') return 'duplicate';
    return row.state === 'leased' ? 'in-flight' : 'claim';
  }
  if (row.source === 'browser' || row.state === 'waiting') return 'claim';
  return row.state === 'delivered' ? 'duplicate' : 'in-flight';
}

export class RateBudget extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly limitEvents: number;
  private readonly windowMs: number;
  /** Most events browser copies may spend per window. */
  private readonly browserLimit: number;
  private readonly maxRows: number;
  /** Rows in `claims`, kept in step with every insert and delete (COUNT(*) reads them all). */
  private rows: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // A broken setting elsewhere must not stop the budget: its own fields fall back to defaults.
    const result = configFor(env);
    const config = settingsOf(result);
    this.limitEvents = config.rateLimit.events;
    this.windowMs = config.rateLimit.windowSeconds * 1000;
    this.browserLimit = Math.max(
      1,
      Math.floor((this.limitEvents * (100 - config.serverBudgetPercent)) / 100),
    );
    this.maxRows = config.dedupMaxRows;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS spending (
        at INTEGER NOT NULL, events INTEGER NOT NULL, source TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS spending_at ON spending (at);
      CREATE TABLE IF NOT EXISTS claims (
        key TEXT PRIMARY KEY, source TEXT NOT NULL, state TEXT NOT NULL,
        expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at);
      CREATE INDEX IF NOT EXISTS claims_eviction ON claims (source, state, expires_at);
      CREATE TABLE IF NOT EXISTS pause (id INTEGER PRIMARY KEY CHECK (id = 1), until INTEGER NOT NULL);
    `);
    this.migrateSourcelessTables();
    this.rows =
      this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM claims').toArray()[0]?.n ?? 0;
  }

  /** Tables written before copies had a source: their rows were all treated as server rows. */
  private migrateSourcelessTables(): void {
    const old = new Set(
      this.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('grants', 'conversions')",
        )
        .toArray()
        .map((t) => t.name),
    );
    if (old.has('grants')) {
      this.sql.exec("INSERT INTO spending SELECT at, events, 'server' FROM grants");
      this.sql.exec('DROP TABLE grants');
    }
    if (old.has('conversions')) {
      this.sql.exec(
        "INSERT OR IGNORE INTO claims SELECT key, 'server', state, expires_at FROM conversions",
      );
      this.sql.exec('DROP TABLE conversions');
    }
  }

  /**
   * Claims what is neither delivered nor in flight, as far as the budget
   * allows (one event each): server claims first, then browser claims within
   * their share. `claims` come from `claimKey` (./message.ts); a plain dedup
   * key is a server claim.
   */
  reserve(claims: string[], now: number = Date.now()): Reservation {
    this.prune(now);
    const result: Reservation = {
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
    const waitingUntil = now + Math.max(this.windowMs, pausedUntil - now) + LEASE_MS;
    const parsed = claims.map((claim) => ({ claim, ...parseClaim(claim) }));
    const ordered = [
      ...parsed.filter((c) => c.source === 'server'),
      ...parsed.filter((c) => c.source === 'browser'),
    ];
    for (const { claim, key, source } of ordered) {
      const row = this.sql
        .exec<ClaimRow>('SELECT source, state FROM claims WHERE key = ?', key)
        .toArray()[0];
      const verdict = verdictFor(source, row);
      if (verdict === 'duplicate') {
        result.duplicates.push(claim);
        continue;
      }
      if (verdict === 'in-flight') {
        result.inFlight.push(claim);
        continue;
      }
      if (source === 'browser' && !row && !this.roomForBrowserRow()) {
        deferredBy.rowCap += 1;
        result.deferred.push(claim);
        continue;
      }
      const affordable =
        source === 'server' ? available > 0 : available > 0 && browserAvailable > 0;
      if (affordable) {
        available -= 1;
        if (source === 'browser') browserAvailable -= 1;
        spent[source] += 1;
        result.granted.push(claim);
        this.write(key, source, 'leased', now + LEASE_MS, row);
      } else {
        deferredBy[source] += 1;
        result.deferred.push(claim);
        if (source === 'server') this.write(key, source, 'waiting', waitingUntil, row);
      }
    }
    for (const source of ['server', 'browser'] as const) {
      if (spent[source] > 0) {
        this.sql.exec(
          'INSERT INTO spending (at, events, source) VALUES (?, ?, ?)',
          now,
          spent[source],
          source,
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
        rows: this.rows,
        max_rows: this.maxRows,
        count: deferredBy.rowCap,
      });
    }
    result.retryAfterSeconds = waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
    return result;
  }

  /**
   * Records the outcome of a send: delivered claims are remembered for 48
   * hours, released claims can be claimed again. A browser copy's outcome
   * never overwrites a row a server copy took over meanwhile.
   */
  settle(settlement: Settlement, now: number = Date.now()): void {
    for (const claim of settlement.delivered) {
      const { key, source } = parseClaim(claim);
      const row = this.sql
        .exec<ClaimRow>('SELECT source, state FROM claims WHERE key = ?', key)
        .toArray()[0];
      if (source === 'browser' && row?.source === 'server') continue;
      this.write(key, source, 'delivered', now + DEDUP_WINDOW_MS, row);
    }
    for (const claim of settlement.released) {
      const { key, source } = parseClaim(claim);
      this.rows -= this.sql
        .exec(
          "DELETE FROM claims WHERE key = ? AND source = ? AND state = 'leased' RETURNING 1",
          key,
          source,
        )
        .toArray().length;
    }
  }

  /** Rows currently kept for dedup (bounded by `DEDUP_MAX_ROWS` for browser claims). */
  dedupRows(): number {
    return this.rows;
  }

  /**
   * X answered 429: grant nothing until it said we may try again, whatever our
   * own count says (X's count is the one that matters).
   */
  pause(retryAfterSeconds: number, now: number = Date.now()): void {
    const until = now + Math.max(0, retryAfterSeconds) * 1000;
    this.sql.exec(
      'INSERT INTO pause (id, until) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET until = MAX(until, excluded.until)',
      until,
    );
  }

  /**
   * The budget as `/status` shows it: events granted in the sliding window,
   * and when the oldest of them leaves it (null when none was granted). A
   * read: it skips grants older than the window instead of deleting them
   * (`reserve`, which writes anyway, prunes).
   */
  usage(now: number = Date.now()): {
    limit: number;
    used: number;
    windowSeconds: number;
    resetsAt: number | null;
  } {
    const { used, oldest } = this.sql
      .exec<{ used: number | null; oldest: number | null }>(
        'SELECT SUM(events) AS used, MIN(at) AS oldest FROM spending WHERE at > ?',
        now - this.windowMs,
      )
      .one();
    return {
      limit: this.limitEvents,
      used: used ?? 0,
      windowSeconds: this.windowMs / 1000,
      resetsAt: oldest === null ? null : oldest + this.windowMs,
    };
  }

  /** Inserts or replaces a claim row; `existing` is what the caller just read for `key`. */
  private write(
    key: string,
    source: ConversionSource,
    state: ClaimState,
    expiresAt: number,
    existing: ClaimRow | undefined,
  ): void {
    this.sql.exec(
      'INSERT OR REPLACE INTO claims (key, source, state, expires_at) VALUES (?, ?, ?, ?)',
      key,
      source,
      state,
      expiresAt,
    );
    if (!existing) this.rows += 1;
  }

  /** Whether one more browser row fits, evicting the oldest browser-delivered rows at the cap. */
  private roomForBrowserRow(): boolean {
    if (this.rows < this.maxRows) return true;
    const evicted = this.sql
      .exec(
        `DELETE FROM claims WHERE key IN (
           SELECT key FROM claims WHERE source = 'browser' AND state = 'delivered'
           ORDER BY expires_at LIMIT ?) RETURNING 1`,
        Math.max(EVICTION_CHUNK, this.rows - this.maxRows + 1),
      )
      .toArray().length;
    this.rows -= evicted;
    if (evicted > 0) {
      log.warn('dedup memory full: oldest browser-delivered rows evicted (DEDUP_MAX_ROWS)', {
        max_rows: this.maxRows,
        count: evicted,
      });
    }
    return this.rows < this.maxRows;
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
      if (excess <= 0) return grant.at + this.windowMs - now;
    }
    // More than the whole limit at once: the full window is the honest answer.
    return this.windowMs;
  }

  /** Drops grants older than the window and expired leases, waits and dedup entries. */
  private prune(now: number): void {
    this.sql.exec('DELETE FROM spending WHERE at <= ?', now - this.windowMs);
    this.rows -= this.sql
      .exec('DELETE FROM claims WHERE expires_at <= ? RETURNING 1', now)
      .toArray().length;
  }
}
