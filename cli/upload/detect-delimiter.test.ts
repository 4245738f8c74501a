import { describe, expect, it } from 'vitest';
import { detectDelimiter } from './detect-delimiter.ts';

describe('detectDelimiter', () => {
  it.each([
    ['event,email,value\npurchase,a@b.example,1\n', ','],
    ['event;email;value\npurchase;a@b.example;"1,50"\n', ';'],
    ['event\temail\nlead\ta@b.example\n', '\t'],
    ['"a;b",c,d\n1;2;3;4;5;6\n', ','],
    ['"event","email;x"\r\n', ','],
    ['event\npurchase\n', ','],
  ])('judges %j by its header line only', (head, expected) => {
    expect(detectDelimiter(head)).toBe(expected);
  });
});
