import { describe, expect, it } from 'vitest';
import { twclidCookieJson } from '../common/twclid-cookie.ts';
import { clickIdFromUrl, clickIdIn } from './click-id.ts';

const ID = '26al4tn7x9n5o40h6sd2ds3kbt';

describe('clickIdIn', () => {
  it('reads the X pixel form (as js-cookie gives it: decoded), with or without more keys', () => {
    expect(clickIdIn(twclidCookieJson(ID, 1_700_000_000_000))).toBe(ID);
    expect(clickIdIn(`{"twclid":"${ID}","timestamp":1700000000000,"other":1}`)).toBe(ID);
  });

  it('reads a bare click id, as other tools write it', () => {
    expect(clickIdIn(ID)).toBe(ID);
  });

  it.each([
    ['nothing stored', undefined],
    ['null', null],
    ['an empty cookie', ''],
    ['broken JSON', '{"twclid":'],
    ['JSON without twclid', '{"timestamp":1}'],
    ['a non-string twclid', '{"twclid":12345}'],
    ['characters outside the click id alphabet', '<script>'],
    ['a click id over 128 characters', 'a'.repeat(129)],
  ])('gives undefined for %s, without throwing', (_, stored) => {
    expect(clickIdIn(stored)).toBeUndefined();
  });
});

describe('clickIdFromUrl', () => {
  it('takes a valid twclid from the query string, first or later, before a fragment', () => {
    expect(clickIdFromUrl(`?utm_source=x&twclid=${ID}`)).toBe(ID);
    expect(clickIdFromUrl(`?twclid=${ID}&utm_source=x`)).toBe(ID);
    expect(clickIdFromUrl(`?twclid=${ID}#top`)).toBe(ID);
    expect(clickIdFromUrl('?twclid=a-b_C9')).toBe('a-b_C9');
  });

  it('ignores a missing, empty, malformed or too long twclid, and look-alike names', () => {
    expect(clickIdFromUrl('?utm_source=x')).toBeUndefined();
    expect(clickIdFromUrl('?twclid=')).toBeUndefined();
    expect(clickIdFromUrl('?twclid=a%20b')).toBeUndefined();
    expect(clickIdFromUrl('?twclid=ab<c')).toBeUndefined();
    expect(clickIdFromUrl(`?twclid=${'a'.repeat(129)}`)).toBeUndefined();
    expect(clickIdFromUrl(`?xtwclid=${ID}`)).toBeUndefined();
  });
});
