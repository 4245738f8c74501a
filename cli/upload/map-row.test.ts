import { describe, expect, it } from 'vitest';
import { mapColumns } from './columns.ts';
import { conversionTimeFrom, derivedConversionId, isMappingProblem, mapRow } from './map-row.ts';

const place = { fileName: 'orders.csv', row: 3 };

describe('mapRow', () => {
  it('trims values and leaves empty cells out', () => {
    const mapped = mapRow(
      ['event', 'email', 'phone', 'conversion_id'],
      ['purchase', ' a@b.example ', '  ', 'o-1'],
      place,
    );
    expect(mapped).toEqual({
      event: { event: 'purchase', email: 'a@b.example', conversion_id: 'o-1' },
      conversionId: 'o-1',
    });
  });

  it('takes the pixel column aside: it picks the request, it is no field of the event', () => {
    const columns = mapColumns(['Pixel', 'event', 'conversion_id'], {});
    const mapped = mapRow(columns, [' p2k4m ', 'purchase', 'o-1'], place);
    expect(mapped).toEqual({
      event: { event: 'purchase', conversion_id: 'o-1' },
      conversionId: 'o-1',
      pixel: 'p2k4m',
    });
  });

  it('skips unmapped columns and fills a default event', () => {
    const mapped = mapRow([undefined, 'email'], ['Jane', 'a@b.example'], {
      ...place,
      defaultEvent: 'lead',
    });
    expect(isMappingProblem(mapped)).toBe(false);
    if (!isMappingProblem(mapped)) expect(mapped.event.event).toBe('lead');
  });

  it('derives a stable conversion id from file, row and cells when there is none', () => {
    const a = mapRow(['event', 'email'], ['purchase', 'a@b.example'], place);
    const again = mapRow(['event', 'email'], ['purchase', 'a@b.example'], place);
    const otherRow = mapRow(['event', 'email'], ['purchase', 'a@b.example'], { ...place, row: 4 });
    const otherFile = mapRow(['event', 'email'], ['purchase', 'a@b.example'], {
      ...place,
      fileName: 'x.csv',
    });
    if (
      isMappingProblem(a) ||
      isMappingProblem(again) ||
      isMappingProblem(otherRow) ||
      isMappingProblem(otherFile)
    )
      throw new Error('unexpected problem');
    expect(a.conversionId).toMatch(/^csv-[0-9a-f]{40}$/);
    expect(a.event.conversion_id).toBe(a.conversionId);
    expect(again.conversionId).toBe(a.conversionId);
    expect(otherRow.conversionId).not.toBe(a.conversionId);
    expect(otherFile.conversionId).not.toBe(a.conversionId);
    expect(derivedConversionId('orders.csv', 3, ['purchase', 'a@b.example'])).toBe(a.conversionId);
  });

  it('reads a decimal comma only when asked (a ; file)', () => {
    const semicolon = mapRow(['event', 'value'], ['purchase', '12,50'], {
      ...place,
      decimalComma: true,
    });
    const comma = mapRow(['event', 'value'], ['purchase', '12,50'], place);
    if (isMappingProblem(semicolon) || isMappingProblem(comma))
      throw new Error('unexpected problem');
    expect(semicolon.event.value).toBe('12.50');
    expect(comma.event.value).toBe('12,50');
  });

  it('reads contents as JSON, and says so when it is not', () => {
    const ok = mapRow(
      ['event', 'contents'],
      ['purchase', '[{"content_id":"sku-1","num_items":2}]'],
      place,
    );
    if (isMappingProblem(ok)) throw new Error('unexpected problem');
    expect(ok.event.contents).toEqual([{ content_id: 'sku-1', num_items: 2 }]);
    expect(mapRow(['event', 'contents'], ['purchase', '[{'], place)).toEqual({
      parameter: 'contents',
      message: 'contents must be a JSON array of items',
    });
  });

  it('gives a null-prototype object, whatever the column values', () => {
    const mapped = mapRow(['event', 'description'], ['__proto__', '{"polluted":true}'], place);
    if (isMappingProblem(mapped)) throw new Error('unexpected problem');
    expect(Object.getPrototypeOf(mapped.event)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('conversionTimeFrom', () => {
  it.each([
    ['1732800000', '2024-11-28T13:20:00.000Z'],
    ['1732800000123', '2024-11-28T13:20:00.123Z'],
    ['2024-11-28T13:20:00Z', '2024-11-28T13:20:00Z'],
    ['2024-11-28 13:20', '2024-11-28 13:20'],
  ])('%s -> %s', (input, output) => {
    expect(conversionTimeFrom(input)).toBe(output);
  });
});
