import { describe, expect, it } from 'vitest';
import { formatTwclidCookie } from '../common/twclid-cookie.ts';
import { clickIdFromUrl, clickIdIn } from './click-id.ts';

const ID = '26al4tn7x9n5o40h6sd2ds3kbt';

describe('clickIdIn', () => {
  it('reads the X pixel form, URI-encoded or already decoded', () => {
    expect(clickIdIn(formatTwclidCookie(ID, 1_700_000_000_000))).toBe(ID);
    expect(clickIdIn(`{"twclid":"${ID}","timestamp":1700000000000,"other":1}`)).toBe(ID);
  });

  it('reads a bare click id, as other tools write it', () => {
    expect(clickIdIn(ID)).toBe(ID);
  });

  it('treats a JSON value stamped before notBefore as expired', () => {
    const stored = formatTwclidCookie(ID, 1_000);
    expect(clickIdIn(stored, 1_001)).toBeUndefined();
    expect(clickIdIn(stored, 1_000)).toBe(ID);
  });

  it.each([
    ['nothing stored', undefined],
    ['null (localStorage miss)', null],
    ['an empty cookie', ''],
    ['broken JSON', '%7B%22twclid%22%3A'],
    ['a bad escape', '%E0%A4%A'],
    ['JSON without twclid', '{"timestamp":1}'],
    ['characters outside the click id alphabet', '<script>'],
    ['a click id over 128 characters', 'a'.repeat(129)],
  ])('gives undefined for %s, without throwing', (_, stored) => {
    expect(clickIdIn(stored)).toBeUndefined();
  });
});

describe('clickIdFromUrl', () => {
  it('takes a valid twclid from the query string', () => {
    expect(clickIdFromUrl(`?utm_source=x&twclid=${ID}`)).toBe(ID);
  });

  it('ignores a missing, empty or malformed twclid', () => {
    expect(clickIdFromUrl('?utm_source=x')).toBeUndefined();
    expect(clickIdFromUrl('?twclid=')).toBeUndefined();
    expect(clickIdFromUrl('?twclid=a%20b')).toBeUndefined();
  });
});
