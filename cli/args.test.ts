import { describe, expect, it } from 'vitest';
import { endpointFrom, integerFlag, parseCommandLine, serverKeyFrom } from './args.ts';

describe('parseCommandLine', () => {
  it('reads a command, its flags and the file of upload', () => {
    expect(
      parseCommandLine([
        'upload',
        'orders.csv',
        '--endpoint',
        'https://e.example',
        '--rate',
        '100',
        '--resume',
      ]),
    ).toEqual({
      kind: 'run',
      command: 'upload',
      flags: expect.objectContaining({
        endpoint: 'https://e.example',
        rate: '100',
        resume: true,
        json: false,
      }),
      positionals: ['orders.csv'],
      json: false,
    });
  });

  it('asks for help with no command, -h, --help or help', () => {
    for (const argv of [[], ['-h'], ['--help'], ['help']]) {
      expect(parseCommandLine(argv)).toEqual({ kind: 'help' });
    }
    expect(parseCommandLine(['redrive', '--help'])).toEqual({ kind: 'help', command: 'redrive' });
  });

  it("refuses unknown commands, misspelt flags, another command's flags and stray words", () => {
    expect(() => parseCommandLine(['stauts'])).toThrow(
      /unknown command "stauts": expected one of status, dead-letters/,
    );
    expect(() => parseCommandLine(['status', '--endpiont', 'x'])).toThrow(
      /status: Unknown option '--endpiont'/,
    );
    expect(() => parseCommandLine(['status', '--rate', '5'])).toThrow(/Unknown option '--rate'/);
    expect(() => parseCommandLine(['verify', 'extra'])).toThrow(/verify: .*positional/i);
  });
});

describe('endpointFrom', () => {
  it('takes --endpoint over XCAPI_ENDPOINT and drops a trailing slash', () => {
    expect(
      endpointFrom(
        { endpoint: 'https://shop.example/xcapi/' },
        { XCAPI_ENDPOINT: 'https://other.example' },
      ),
    ).toBe('https://shop.example/xcapi');
    expect(endpointFrom({}, { XCAPI_ENDPOINT: 'http://127.0.0.1:8787' })).toBe(
      'http://127.0.0.1:8787',
    );
  });

  it('says what is missing or wrong', () => {
    expect(() => endpointFrom({}, {})).toThrow(/^no endpoint: pass --endpoint URL/);
    expect(() => endpointFrom({ endpoint: 'shop.example' }, {})).toThrow(/is not a URL/);
    expect(() => endpointFrom({ endpoint: 'ftp://shop.example' }, {})).toThrow(
      /must be an http\(s\) URL/,
    );
    expect(() => endpointFrom({ endpoint: 'https://shop.example/?a=1' }, {})).toThrow(
      '--endpoint must not have a query or fragment',
    );
  });
});

describe('serverKeyFrom and integerFlag', () => {
  it('needs XCAPI_SERVER_KEY', () => {
    expect(serverKeyFrom({ XCAPI_SERVER_KEY: ' k ' })).toBe('k');
    expect(() => serverKeyFrom({})).toThrow(/^no server key: set XCAPI_SERVER_KEY/);
  });

  it('checks whole numbers in range', () => {
    const range = { min: 1, max: 500, fallback: 500 };
    expect(integerFlag({}, 'batch-size', range)).toBe(500);
    expect(integerFlag({ 'batch-size': '20' }, 'batch-size', range)).toBe(20);
    for (const bad of ['0', '501', '1.5', 'ten', '-3', '']) {
      expect(() => integerFlag({ 'batch-size': bad }, 'batch-size', range)).toThrow(
        '--batch-size must be a whole number from 1 to 500',
      );
    }
  });
});
