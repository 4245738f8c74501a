/**
 * @module
 * A pixel's `RateBudget` (edge/delivery/rate-budget.ts) built over a real
 * Durable Object's SQLite, spoken to in claim strings so the budget tests
 * read as lists of ids: `browser/<id>` is a browser copy, any other string a
 * server copy of conversion `<id>`.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { configFor, settingsOf } from '../../edge/config.ts';
import { ConversionRows } from '../../edge/delivery/conversion-rows.ts';
import {
  budgetSettings,
  type Claim,
  RateBudget,
  type Reservation,
} from '../../edge/delivery/rate-budget.ts';
import type { Env } from '../../edge/env.ts';

const BROWSER = 'browser/';

function claimOf(claim: string): Claim {
  const browser = claim.startsWith(BROWSER);
  const id = browser ? claim.slice(BROWSER.length) : claim;
  return {
    key: `${id}:purchase`,
    source: browser ? 'browser' : 'server',
    conversionId: id,
    event: 'purchase',
    acceptedAt: 0,
  };
}

export class BudgetUnderTest {
  constructor(
    private readonly budget: RateBudget,
    private readonly rows: ConversionRows,
  ) {}

  reserve(claims: string[], now: number): Reservation<string> {
    const asked = claims.map((claim) => ({ ...claimOf(claim), claim }));
    const r = this.budget.reserve(asked, now);
    const back = (list: typeof asked) => list.map((c) => c.claim);
    return {
      granted: back(r.granted),
      duplicates: back(r.duplicates),
      inFlight: back(r.inFlight),
      deferred: back(r.deferred),
      retryAfterSeconds: r.retryAfterSeconds,
    };
  }

  settle(settlement: { delivered: string[]; released: string[] }, now: number): void {
    this.budget.settle(
      { delivered: settlement.delivered.map(claimOf), released: settlement.released.map(claimOf) },
      now,
    );
  }

  pause(seconds: number, now: number): void {
    this.budget.pause(seconds, now);
  }

  usage(now: number) {
    return this.budget.usage(now);
  }

  /** Conversion rows kept (dedup and status). */
  rowCount(): number {
    return this.rows.count();
  }
}

let counter = 0;

/**
 * Runs `test` in a fresh Durable Object; `open` builds a budget over its
 * storage with `settings` (again for a restart of the object).
 */
export async function withStorage<R>(
  test: (open: (settings: Partial<Env>) => BudgetUnderTest, sql: SqlStorage) => R,
): Promise<R> {
  counter += 1;
  const namespace = env.DELIVERY_LEDGER;
  if (!namespace) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
  const stub = namespace.get(namespace.idFromName(`budget-${Date.now()}-${counter}`));
  return runInDurableObject(stub, (_instance, state) =>
    test((settings): BudgetUnderTest => {
      const config = settingsOf(configFor({ ...env, ...settings } as Env));
      const rows = new ConversionRows(state.storage.sql);
      return new BudgetUnderTest(
        new RateBudget(state.storage.sql, rows, budgetSettings(config)),
        rows,
      );
    }, state.storage.sql),
  );
}

/** Runs `test` against a fresh budget built with `settings`. */
export function withBudget<R>(
  settings: Partial<Env>,
  test: (budget: BudgetUnderTest) => R,
): Promise<R> {
  return withStorage((open) => test(open(settings)));
}
