/**
 * Identity normalization and hashing inside workerd (WebCrypto as deployed):
 * published SHA-256 vectors, email and phone normalization, the `_twclid`
 * cookie in both its forms, and the constant-time bearer key comparison.
 */
import { describe, expect, it } from 'vitest';
import { isValidTwclid, parseTwclidCookie, twclidCookieJson } from '../../common/twclid-cookie.ts';
import { toBase64, toHex } from '../../edge/byte-text.ts';
import { checkCaller } from '../../edge/http/server-auth.ts';
import { hashEmail, hashPhone, sha256Hex } from '../../edge/identity/hash-identifiers.ts';
import { normalizeEmail } from '../../edge/identity/normalize-email.ts';
import { normalizePhone } from '../../edge/identity/phone.ts';

// X's docs give sha256("test@twitter.com") as starting d360d510; the full value
// was computed once with Node's crypto (`createHash('sha256')`) and pinned here.
const TEST_AT_TWITTER = 'd360d510a224510f373931ce2d6215a799f5a9c1cef221b0149b6b6b50cced62';
// sha256("+11234567890"): X's E.164 example, with the `+`.
const PLUS_11234567890 = '1fa6b8d986d9b9cd01bf36951815158bbde9f520c0567c835dfe34783d0a4231';

describe('sha256Hex', () => {
  it('matches the published vectors', async () => {
    expect(await sha256Hex('')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(await sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it("hashes X's email example to the docs' prefix", async () => {
    const hash = await hashEmail('test@twitter.com');
    expect(hash.startsWith('d360d510')).toBe(true);
    expect(hash).toBe(TEST_AT_TWITTER);
  });

  it("hashes X's phone example with the leading +", async () => {
    const hash = await hashPhone('+11234567890');
    expect(hash.startsWith('1fa6b8d9')).toBe(true);
    expect(hash).toBe(PLUS_11234567890);
    expect(await hashPhone('11234567890')).not.toBe(PLUS_11234567890);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', async () => {
    // sha256 of the UTF-8 bytes c3 a9 (U+00E9), computed with Node's crypto.
    expect(await sha256Hex('\u00e9')).toBe(
      '4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c',
    );
  });
});

describe('normalizeEmail', () => {
  it('trims and lowercases, so both spellings hash the same', async () => {
    const email = normalizeEmail('  Test@Twitter.com ');
    expect(email).toBe('test@twitter.com');
    expect(await hashEmail(email as string)).toBe(TEST_AT_TWITTER);
  });

  it.each(['', 'plainaddress', 'a@b', 'a b@c.example', '@c.example', 'a@@c.example', 'a@.example'])(
    'refuses %j',
    (raw) => {
      expect(normalizeEmail(raw)).toBeUndefined();
    },
  );

  it.each([
    ['a bidi override', 'shopper\u202e@example.com'],
    ['a zero-width space', 'shop\u200bper@example.com'],
    ['a NUL', 'shopper\u0000@example.com'],
    ['a lone surrogate', 'shopper\ud800@example.com'],
  ])('refuses an address with %s (invisible, would hash differently)', (_, raw) => {
    expect(normalizeEmail(raw)).toBeUndefined();
  });

  it('keeps internationalized addresses', () => {
    expect(normalizeEmail('Käufer@Bücher.example')).toBe('käufer@bücher.example');
  });

  it('refuses addresses longer than 254 characters', () => {
    expect(normalizeEmail(`${'a'.repeat(250)}@b.example`)).toBeUndefined();
  });
});

describe('normalizePhone', () => {
  it('reads national numbers in the default country', () => {
    expect(normalizePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
  });

  it('keeps international numbers whatever the default country', () => {
    expect(normalizePhone('+44 20 7946 0958', 'US')).toBe('+442079460958');
    expect(normalizePhone('0049 30 1234567', 'DE')).toBe('+49301234567');
  });

  it("keeps X's own example number: possible length is enough, no range check", () => {
    expect(normalizePhone('+1 123 456 7890', 'US')).toBe('+11234567890');
    expect(normalizePhone('(123) 456-7890', 'US')).toBe('+11234567890');
  });

  it.each(['call me', '123', '+1 123 456 78', '+1 800 FLOWERS', '5'.repeat(41)])(
    'refuses %j',
    (raw) => {
      expect(normalizePhone(raw, 'US')).toBeUndefined();
    },
  );

  it('refuses a national number when the default country is unknown', () => {
    expect(normalizePhone('415-555-2671', 'ZZ')).toBeUndefined();
  });
});

describe('_twclid cookie', () => {
  it("reads the X pixel's URI-encoded JSON form", () => {
    const raw = encodeURIComponent(
      '{"twclid":"26al4tn7x9n5o40h6sd2ds3kbt","timestamp":1700000000000}',
    );
    expect(parseTwclidCookie(raw)).toEqual({
      twclid: '26al4tn7x9n5o40h6sd2ds3kbt',
      timestamp: 1700000000000,
    });
  });

  it('reads the JSON form already decoded, with extra keys', () => {
    expect(parseTwclidCookie('{"twclid":"abc_-1","timestamp":5,"other":true}')).toEqual({
      twclid: 'abc_-1',
      timestamp: 5,
    });
  });

  it('reads the bare form', () => {
    expect(parseTwclidCookie('26al4tn7x9n5o40h6sd2ds3kbt')).toEqual({
      twclid: '26al4tn7x9n5o40h6sd2ds3kbt',
    });
  });

  it.each([
    undefined,
    '',
    'a b',
    '%E0%A4%A',
    '{"twclid":"a;b"}',
    '{"twclid":42}',
    '{not json',
    'x'.repeat(129),
  ])('ignores malformed %j', (raw) => {
    expect(parseTwclidCookie(raw)).toBeUndefined();
  });

  it('writes what it parses, in the pixel form, once URI-encoded', () => {
    const value = encodeURIComponent(twclidCookieJson('abc', 1700000000000));
    expect(decodeURIComponent(value)).toBe('{"twclid":"abc","timestamp":1700000000000}');
    expect(value).not.toMatch(/[",;{} ]/);
    expect(parseTwclidCookie(value)).toEqual({ twclid: 'abc', timestamp: 1700000000000 });
  });

  it('accepts click ids of 1 to 128 URL-safe characters', () => {
    expect(isValidTwclid('a')).toBe(true);
    expect(isValidTwclid('A-z_0'.repeat(25))).toBe(true);
    expect(isValidTwclid('x'.repeat(129))).toBe(false);
    expect(isValidTwclid('abc=')).toBe(false);
    expect(isValidTwclid(42)).toBe(false);
  });
});

describe('workerd runtime facts the schema relies on', () => {
  it('has Intl.supportedValuesOf("currency") with the common codes', () => {
    const currencies = Intl.supportedValuesOf('currency');
    expect(currencies).toEqual(expect.arrayContaining(['USD', 'EUR', 'GBP', 'JPY']));
    expect(currencies).not.toContain('XYZ');
  });

  it("Date#toISOString is X's yyyy-MM-ddTHH:mm:ss.SSSZ", () => {
    expect(new Date(Date.UTC(2022, 1, 18, 1, 14, 0, 603)).toISOString()).toBe(
      '2022-02-18T01:14:00.603Z',
    );
    expect(new Date().toISOString()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});

describe('checkCaller', () => {
  const key = 'test-server-key';
  const caller = async (authorization: string | undefined) => {
    const check = await checkCaller(authorization, { serverKey: key, pixels: [] });
    return check.ok ? check.caller : check.error.status;
  };

  it('compares bearer keys exactly', async () => {
    expect(await caller(`Bearer ${key}`)).toBe('server');
    expect(await caller('Bearer test-server-kez')).toBe(401);
    expect(await caller('Bearer test-server-key-longer')).toBe(401);
    expect(await caller('Bearer ')).toBe(401);
  });

  it('takes anything but a Bearer header for a browser', async () => {
    expect(await caller(undefined)).toBe('browser');
    expect(await caller('Basic dXNlcjpwdw==')).toBe('browser');
  });
});

describe('bytes as text', () => {
  const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);

  it('writes every byte value as two lowercase hex digits', () => {
    expect(toHex(new Uint8Array([0, 15, 16, 171, 255]))).toBe('000f10abff');
    const hex = toHex(everyByte);
    expect(hex).toHaveLength(512);
    expect(hex.slice(0, 8)).toBe('00010203');
    expect(hex.slice(-4)).toBe('feff');
    expect(hex).toMatch(/^[0-9a-f]+$/);
  });

  it('writes standard base64 with padding, decodable by atob', () => {
    expect(toBase64(new Uint8Array([]))).toBe('');
    expect(toBase64(new Uint8Array([104, 105]))).toBe('aGk=');
    expect(toBase64(new TextEncoder().encode('any carnal pleas'))).toBe('YW55IGNhcm5hbCBwbGVhcw==');
    expect(Uint8Array.from(atob(toBase64(everyByte)), (c) => c.charCodeAt(0))).toEqual(everyByte);
  });
});
