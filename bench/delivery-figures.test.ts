import { describe, expect, it } from 'vitest';
import { deliveryPhaseLimitSeconds, parseDeliveryLine } from './delivery-figures.ts';

const phase = {
  conversions: 10_000,
  accepted: 10_000,
  delivered: 10_000,
  duplicates: 0,
  xRequests: 100,
  xRequestsPer10k: 100,
  meanConversionsPerRequest: 100,
  answers: { '200': 100 },
  secondsToDeliverAll: 12.5,
};

describe('parseDeliveryLine', () => {
  it('reads the JSON line bench/delivery.ts prints', () => {
    const line = JSON.stringify({
      bench: 'delivery',
      conversionsPerPhase: 10_000,
      steady: phase,
      faults: { ...phase, xRequests: 140, completeness: 1 },
      recovery: [],
    });
    expect(parseDeliveryLine(line)).toEqual({
      conversionsPerPhase: 10_000,
      steady: phase,
      faults: { ...phase, xRequests: 140, completeness: 1 },
      recovery: [],
    });
  });

  it('reads the recovery phases after a 401 period and an outage, dropping malformed ones', () => {
    const revoked = {
      cause: 'revoked',
      conversions: 200,
      accepted: 200,
      failingSeconds: 10.7,
      delivered: 200,
      duplicates: 0,
      secondsToLastDelivered: 47.8,
    };
    const line = JSON.stringify({
      bench: 'delivery',
      conversionsPerPhase: 200,
      steady: phase,
      faults: phase,
      recovery: [revoked, { cause: 'outage', conversions: 200 }],
    });
    expect(parseDeliveryLine(line)?.recovery).toEqual([revoked]);
  });

  it('ignores its human summary line and other output', () => {
    expect(parseDeliveryLine('delivery: 100 X requests per 10,000 conversions')).toBeUndefined();
    expect(parseDeliveryLine('[wrangler:info] Ready on http://127.0.0.1:8787')).toBeUndefined();
    expect(parseDeliveryLine('{not json')).toBeUndefined();
  });

  it('rejects JSON from another benchmark or with a phase missing its counts', () => {
    expect(
      parseDeliveryLine(JSON.stringify({ bench: 'ingest', steady: phase, faults: phase })),
    ).toBeUndefined();
    const { xRequests: _dropped, ...incomplete } = phase;
    expect(
      parseDeliveryLine(JSON.stringify({ bench: 'delivery', steady: phase, faults: incomplete })),
    ).toBeUndefined();
  });
});

describe('deliveryPhaseLimitSeconds', () => {
  it('leaves 40 s of the time left for start-up and the steady phase', () => {
    expect(deliveryPhaseLimitSeconds(150_000)).toBe(110);
    expect(deliveryPhaseLimitSeconds(175_500)).toBe(135);
  });

  it('never asks for less than 10 s per phase', () => {
    expect(deliveryPhaseLimitSeconds(5_000)).toBe(10);
  });
});
