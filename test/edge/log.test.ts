/**
 * The logger's privacy rule, tested once here so call sites need not repeat it:
 * IP and email addresses masked in any string, identifier and secret fields
 * replaced, field names snake_case, one JSON line per call.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorName, formatLine, log, maskAddresses } from '../../edge/log.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('maskAddresses', () => {
  it.each([
    '203.0.113.7',
    '2a02::5',
    '::1',
    '::',
    'fe80::1%eth0',
    '::ffff:192.0.2.1',
    '64:ff9b::192.0.2.33',
    '2001:db8:85a3:0:0:8a2e:370:7334',
    '2001:DB8:85A3::8A2E:370:7334',
    '2001:db8::',
    '1::2:3:4:5:6:7',
    '0:0:0:0:0:ffff:198.51.100.4',
  ])('masks %s wholly, alone and inside text', (address) => {
    expect(maskAddresses(address)).toBe('[ip]');
    expect(maskAddresses(`from ${address}, then`)).toBe('from [ip], then');
    expect(maskAddresses(`[${address}]:443`)).toBe('[[ip]]:443');
    expect(maskAddresses(`"${address}"`)).toBe('"[ip]"');
  });

  it.each([
    'at 12:30:45 UTC',
    'std::map',
    'version 1.2.3',
    'order 1001',
    'abc:def',
    'sha 0123456789abcdef',
  ])('leaves %s alone', (text) => {
    expect(maskAddresses(text)).toBe(text);
  });
});

describe('log', () => {
  it('writes one JSON line with snake_case fields at the right console level', () => {
    const info = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    log.info('x delivered', { pixelId: 'o9d7n', count: 3, skipped: undefined });
    log.warn('slow', { 'retry-after': 5 });
    log.error('broken', { nested: { eventId: 'o9d2g' } });
    expect(JSON.parse(String(info.mock.calls[0]?.[0]))).toEqual({
      level: 'info',
      msg: 'x delivered',
      pixel_id: 'o9d7n',
      count: 3,
    });
    expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toEqual({
      level: 'warn',
      msg: 'slow',
      retry_after: 5,
    });
    expect(JSON.parse(String(error.mock.calls[0]?.[0]))).toEqual({
      level: 'error',
      msg: 'broken',
      nested: { event_id: 'o9d2g' },
    });
  });

  it('never writes identifiers, secrets or addresses, however they are passed', () => {
    const line = formatLine('warn', 'rejected jane@example.com from 2a02::5', {
      email: 'jane@example.com',
      phone: '+14155550100',
      ipAddress: '198.51.100.4',
      user_agent: 'Mozilla/5.0',
      headers: { Authorization: 'OAuth oauth_signature="abc"', 'X-Pixel-Token': 'tok-123' },
      consumerSecret: 'shh-secret',
      server_key: 'k'.repeat(32),
      errors: [{ message: 'bad ip_address 203.0.113.9 for a@b.example' }],
      hashed_email: 'a'.repeat(64),
    });
    for (const leaked of [
      'jane@example.com',
      '2a02::5',
      '+14155550100',
      '198.51.100.4',
      'Mozilla',
      'oauth_signature',
      'tok-123',
      'shh-secret',
      'k'.repeat(32),
      '203.0.113.9',
      'a@b.example',
    ]) {
      expect(line).not.toContain(leaked);
    }
    const parsed = JSON.parse(line);
    expect(parsed.msg).toBe('rejected [email] from [ip]');
    expect(parsed.ip_address).toBe('[ip]');
    expect(parsed.headers.authorization).toBe('[redacted]');
    expect(parsed.errors[0].message).toBe('bad ip_address [ip] for [email]');
    expect(parsed.hashed_email).toBe('a'.repeat(64));
  });

  it('names errors without quoting their message', () => {
    expect(errorName(new TypeError('jane@example.com is not valid'))).toBe('TypeError');
    expect(errorName('thrown string')).toBe('string');
    const line = formatLine('error', 'failed', { error: new RangeError('from 203.0.113.7') });
    expect(JSON.parse(line).error).toBe('RangeError');
  });
});
