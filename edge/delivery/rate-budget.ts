/**
 * @module
 * `RateBudget`: one SQLite-backed Durable Object per pixel (ad account), the
 * single place that knows how many events we sent X recently and which
 * conversions X already accepted. A Durable Object is single-threaded, and
 * every method here runs without an `await`, so each call is atomic: two
 * consumer invocations can never both spend the last of the budget or both
 * claim the same conversion.
 *
 * Budget: a sliding window log (one row per grant) of `X_RATE_LIMIT_EVENTS`
 * events per `X_RATE_LIMIT_WINDOW_SECONDS` (X documents 60,000 per 15 min).
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
 */
import { DurableObject } from 'cloudflare:workers';
import { configFor } from '../config.ts';
import type { Env } from '../env.ts';

/** How long X-accepted conversion ids are remembered. */
export const DEDUP_WINDOW_MS = 48 * 60 * 60 * 1000;
/** How long a claim lasts if the consumer dies before settling it. */
export const LEASE_MS = 5 * 60 * 1000;

/** The answer to `reserve`: every key lands in exactly one list. */
export interface Reservation {
  /** Claimed and paid for from the budget: send these now, then `settle` them. */
  granted: string[];
  /** X already accepted these within 48 hours: acknowledge without sending. */
  duplicates: string[];
  /**
   * Another consumer holds these right now (a redelivered or resent copy):
   * check back soon; they become duplicates once the holder delivers them, or
   * free again if it fails or its lease (`LEASE_MS`) runs out.
   */
  inFlight: string[];
  /** No budget left for these: try again after `retryAfterSeconds`. */
  deferred: string[];
  /** Seconds until the budget can take the `deferred` keys (0 if none). */
  retryAfterSeconds: number;
}

/** What happened to granted keys. */
export interface Settlement {
  /** X accepted these: remember them for 48 hours. */
  delivered: string[];
  /** Not delivered (failed, rejected or dry run): free the claim. */
  released: string[];
}

export class RateBudget extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly limitEvents: number;
  private readonly windowMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // A broken setting elsewhere must not stop the budget: its own fields fall back to defaults.
    const result = configFor(env);
    const { events, windowSeconds } = result.ok
      ? result.config.rateLimit
      : result.partial.rateLimit;
    this.limitEvents = events;
    this.windowMs = windowSeconds * 1000;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS grants (at INTEGER NOT NULL, events INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS grants_at ON grants (at);
      CREATE TABLE IF NOT EXISTS conversions (
        key TEXT PRIMARY KEY, state TEXT NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS conversions_expiry ON conversions (expires_at);
      CREATE TABLE IF NOT EXISTS pause (id INTEGER PRIMARY KEY CHECK (id = 1), until INTEGER NOT NULL);
    `);
  }

  /**
   * Claims the keys that are neither delivered nor in flight, as many as the
   * budget allows (one event each), in order.
   */
  reserve(keys: string[], now: number = Date.now()): Reservation {
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
    for (const key of keys) {
      const row = this.sql
        .exec<{ state: string }>('SELECT state FROM conversions WHERE key = ?', key)
        .toArray()[0];
      if (row?.state === 'delivered') {
        result.duplicates.push(key);
      } else if (row?.state === 'leased') {
        result.inFlight.push(key);
      } else if (available > 0) {
        available -= 1;
        result.granted.push(key);
        this.sql.exec(
          "INSERT OR REPLACE INTO conversions (key, state, expires_at) VALUES (?, 'leased', ?)",
          key,
          now + LEASE_MS,
        );
      } else {
        result.deferred.push(key);
      }
    }
    if (result.granted.length > 0) {
      this.sql.exec('INSERT INTO grants (at, events) VALUES (?, ?)', now, result.granted.length);
    }
    let waitMs = 0;
    if (result.deferred.length > 0) {
      waitMs = Math.max(pausedUntil - now, this.msUntilFree(result.deferred.length, now));
    }
    result.retryAfterSeconds = waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
    return result;
  }

  /**
   * Records the outcome of a send: delivered keys are remembered for 48 hours,
   * released keys can be claimed again.
   */
  settle(settlement: Settlement, now: number = Date.now()): void {
    for (const key of settlement.delivered) {
      this.sql.exec(
        "INSERT OR REPLACE INTO conversions (key, state, expires_at) VALUES (?, 'delivered', ?)",
        key,
        now + DEDUP_WINDOW_MS,
      );
    }
    for (const key of settlement.released) {
      this.sql.exec("DELETE FROM conversions WHERE key = ? AND state = 'leased'", key);
    }
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
   * and when the oldest of them leaves it (null when none was granted).
   */
  usage(now: number = Date.now()): {
    limit: number;
    used: number;
    windowSeconds: number;
    resetsAt: number | null;
  } {
    this.prune(now);
    const oldest = this.sql
      .exec<{ at: number | null }>('SELECT MIN(at) AS at FROM grants')
      .one().at;
    return {
      limit: this.limitEvents,
      used: this.spent(),
      windowSeconds: this.windowMs / 1000,
      resetsAt: oldest === null ? null : oldest + this.windowMs,
    };
  }

  /** Events granted within the current window. */
  private spent(): number {
    const row = this.sql
      .exec<{ total: number | null }>('SELECT SUM(events) AS total FROM grants')
      .toArray()[0];
    return row?.total ?? 0;
  }

  private pausedUntil(): number {
    const row = this.sql
      .exec<{ until: number }>('SELECT until FROM pause WHERE id = 1')
      .toArray()[0];
    return row?.until ?? 0;
  }

  /** Milliseconds until old grants leave the window and free `needed` events. */
  private msUntilFree(needed: number, now: number): number {
    let excess = this.spent() + needed - this.limitEvents;
    if (excess <= 0) return 0;
    for (const grant of this.sql.exec<{ at: number; events: number }>(
      'SELECT at, events FROM grants ORDER BY at',
    )) {
      excess -= grant.events;
      if (excess <= 0) return grant.at + this.windowMs - now;
    }
    // More than the whole limit at once: the full window is the honest answer.
    return this.windowMs;
  }

  /** Drops grants older than the window and expired leases and dedup entries. */
  private prune(now: number): void {
    this.sql.exec('DELETE FROM grants WHERE at <= ?', now - this.windowMs);
    this.sql.exec('DELETE FROM conversions WHERE expires_at <= ?', now);
  }
}
