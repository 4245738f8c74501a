/**
 * @module
 * A bench-only Worker that runs one of the edge's per-conversion operations
 * N times per request: `GET /run?op=hashEmail&n=2000` answers 204 when done.
 * workerd freezes `Date.now()`/`performance.now()` during execution (a
 * Spectre mitigation), so the caller times the request from outside and
 * subtracts the same request with `n=0` (bench/crypto-cost.ts).
 */
import { isCryptoOp, repeatCryptoOp } from './lib/crypto-ops.ts';

const MAX_ITERATIONS = 100_000;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const op = url.searchParams.get('op');
    const n = Number(url.searchParams.get('n') ?? '0');
    if (
      url.pathname !== '/run' ||
      !isCryptoOp(op) ||
      !Number.isInteger(n) ||
      n < 0 ||
      n > MAX_ITERATIONS
    ) {
      return new Response('expected GET /run?op=<operation>&n=<0..100000>', { status: 400 });
    }
    await repeatCryptoOp(op, n);
    return new Response(null, { status: 204 });
  },
} satisfies ExportedHandler;
