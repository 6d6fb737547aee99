import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeError, encodeJson, encodeReturn, encodeString, formatDouble, jsonObject, QgaError, QgaErrorCode } from '../../../src/qga/index.js';

describe('encoding as qemu-ga writes', () => {
  it('separates with ": " and ", " and escapes all but printable ASCII, upper-case', () => {
    expect(encodeJson(['é😀/"\\\b\f\n\r\t\u0001\u007f\u2028', [1, true, null, []], new Map()])).toBe(
      '["\\u00E9\\uD83D\\uDE00/\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u007F\\u2028", [1, true, null, []], {}]',
    );
  });

  it('writes what cannot be valid as U+FFFD (lone surrogates, noncharacters)', () => {
    expect(encodeJson(['\ud800x', '\ufffe'])).toBe('["\\uFFFDx", "\\uFFFD"]');
  });

  it.each([
    [0.1, '0.10000000000000001'],
    [1e-7, '9.9999999999999995e-08'],
    [1e20, '1e+20'],
    [1000, '1000'],
    [123456789.123456789, '123456789.12345679'],
    [-0, '-0'],
    [Infinity, 'inf'],
    [1.8446744073709552e19, '1.8446744073709552e+19'],
  ])('prints the double %d as %%.17g: %s', (x, text) => {
    expect(formatDouble(x)).toBe(text);
  });

  it('orders object members as QEMU’s hash table does', () => {
    expect(encodeJson(jsonObject({ a: 1, b: 2, c: 3, d: 4 }))).toBe('{"d": 4, "a": 1, "b": 2, "c": 3}');
    expect(encodeJson(jsonObject({ position: 0, eof: false }))).toBe('{"eof": false, "position": 0}');
  });

  it('property: strings of any length read back as sent, the same inside a value as alone', () => {
    const piece = fc.constantFrom('a', ' ', 'é', '😀', '"', '\\', '\n', '\u0001', '\u2028', 'x'.repeat(5000));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const s = pieces.join('');
        expect(JSON.parse(encodeString(s))).toBe(s);
        expect(encodeJson(jsonObject({ [s]: [s] }))).toBe(`{${encodeString(s)}: [${encodeString(s)}]}`);
      }),
    );
  });

  it('writes an echoed id of millions of escaped characters as one part of the answer, not copied into a whole', () => {
    const id = '\u00e9'.repeat(1_000_000);
    const parts = encodeReturn(new Map(), id);
    expect(parts.map((p) => p.length)).toEqual([21, 6_000_002, 2]);
    expect(Buffer.concat(parts).toString('latin1')).toBe(`{"return": {}, "id": "${'\\u00E9'.repeat(1_000_000)}"}\n`);
  });

  it('echoes the id last on a return and first on an error, each answer one line', () => {
    const text = (parts: Buffer[]): string => Buffer.concat(parts).toString('latin1');
    expect(text(encodeReturn(new Map(), 'abc'))).toBe('{"return": {}, "id": "abc"}\n');
    expect(text(encodeReturn(7n, undefined))).toBe('{"return": 7}\n');
    const error = new QgaError(QgaErrorCode.CommandNotFound, 'The command x has not been found', 'CommandNotFound');
    expect(text(encodeError(error, jsonObject({ a: [1] })))).toBe('{"id": {"a": [1]}, "error": {"class": "CommandNotFound", "desc": "The command x has not been found"}}\n');
  });
});
