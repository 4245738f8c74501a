import { afterEach, describe, expect, it, vi } from 'vitest';
import { newConversionId } from './conversion-id.ts';
import { mirrorToPixel } from './pixel-mirror.ts';

const win = globalThis as { twq?: unknown };

describe('mirrorToPixel', () => {
  afterEach(() => {
    delete win.twq;
  });

  it('calls twq with the conversion minus email and phone', () => {
    const twq = vi.fn();
    win.twq = twq;
    mirrorToPixel('tw-o9d7n-o9d2g', {
      email: 'ada@example.com',
      phone: '+14155550100',
      value: 20,
      currency: 'USD',
      conversion_id: 'order-1',
      contents: [{ content_id: 'sku-1', num_items: 1 }],
    });
    expect(twq).toHaveBeenCalledExactlyOnceWith('event', 'tw-o9d7n-o9d2g', {
      value: 20,
      currency: 'USD',
      conversion_id: 'order-1',
      contents: [{ content_id: 'sku-1', num_items: 1 }],
    });
  });

  it('does nothing without twq on the page or without a pixel event id', () => {
    expect(() => mirrorToPixel('tw-o9d7n-o9d2g', { conversion_id: 'x' })).not.toThrow();
    const twq = vi.fn();
    win.twq = twq;
    mirrorToPixel(undefined, { conversion_id: 'x' });
    win.twq = 'not a function';
    expect(() => mirrorToPixel('tw-o9d7n-o9d2g', { conversion_id: 'x' })).not.toThrow();
    expect(twq).not.toHaveBeenCalled();
  });
});

describe('newConversionId', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is a random UUID where crypto.randomUUID exists', () => {
    const ids = new Set(Array.from({ length: 50 }, newConversionId));
    expect(ids.size).toBe(50);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('falls back to a random number where randomUUID is missing (plain http)', () => {
    vi.stubGlobal('crypto', { getRandomValues: crypto.getRandomValues.bind(crypto) });
    const ids = new Set(Array.from({ length: 50 }, newConversionId));
    expect(ids.size).toBe(50);
    // Math.random's text: `0.` and digits, or exponent form for tiny values; the edge takes both.
    for (const id of ids) expect(id).toMatch(/^(0\.\d{6,}|\d(\.\d+)?e-\d+)$/);
  });
});
