import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeError,
  encodeJson,
  encodeReturn,
  encodeString,
  formatDouble,
  joinParts,
  JsonBytes,
  JsonFloat,
  jsonObject,
  type JsonValue,
  QgaError,
  QgaErrorCode,
  smallJson,
} from '../../../src/qga/index.js';

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

  it('writes an echoed id of millions of escaped characters in parts of at most 384 KiB, each made when asked for', () => {
    const id = '\u00e9'.repeat(1_000_000);
    const parts = encodeReturn(new Map(), id);
    const sizes: number[] = [];
    const text = joinParts(
      (function* () {
        for (const part of parts) {
          sizes.push(part.length);
          yield part;
        }
      })(),
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(384 * 1024);
    expect(text.toString('latin1')).toBe(`{"return": {}, "id": "${'\\u00E9'.repeat(1_000_000)}"}\n`);
  });

  it('never ends a part between the halves of a surrogate pair', () => {
    for (const before of [65_534, 65_535, 65_536]) {
      const s = `${'x'.repeat(before)}😀${'é'.repeat(70_000)}`;
      expect(encodeJson(s)).toBe(encodeString(s));
      expect(JSON.parse(encodeJson(s))).toBe(s);
    }
  });

  it('property: bytes read back as base64 of their concatenation, whatever the seams between chunks', () => {
    const sizes = fc.array(fc.constantFrom(0, 1, 2, 3, 65_536, 196_607, 196_608, 196_609, 300_001), { maxLength: 6 });
    fc.assert(
      fc.property(sizes, fc.integer({ min: 0, max: 255 }), (lengths, seed) => {
        const chunks = lengths.map((n, i) => Buffer.from(Buffer.alloc(n, (seed + i) & 0xff).map((b, j) => (b + j) & 0xff)));
        expect(encodeJson(new JsonBytes(chunks))).toBe(`"${Buffer.concat(chunks).toString('base64')}"`);
      }),
      { numRuns: 40 },
    );
  });

  it('writes 48 MiB of bytes as base64 in parts of 256 KiB, made one at a time', () => {
    const bytes = Buffer.alloc(48 * 1024 * 1024, 7);
    const parts = encodeReturn(jsonObject({ count: bytes.length, 'buf-b64': new JsonBytes([bytes]), eof: false }), undefined);
    let size = 0;
    let largest = 0;
    for (const part of parts) {
      size += part.length;
      largest = Math.max(largest, part.length);
    }
    expect(largest).toBe(256 * 1024);
    expect(size).toBe('{"return": {"count": 50331648, "buf-b64": "", "eof": false}}\n'.length + (bytes.length / 3) * 4);
  });

  it('echoes the id last on a return and first on an error, each answer one line', () => {
    const text = (parts: Iterable<Buffer>): string => joinParts(parts).toString('latin1');
    expect(text(encodeReturn(new Map(), 'abc'))).toBe('{"return": {}, "id": "abc"}\n');
    expect(text(encodeReturn(7n, undefined))).toBe('{"return": 7}\n');
    const error = new QgaError(QgaErrorCode.CommandNotFound, 'The command x has not been found', 'CommandNotFound');
    expect(text(encodeError(error, jsonObject({ a: [1] })))).toBe('{"id": {"a": [1]}, "error": {"class": "CommandNotFound", "desc": "The command x has not been found"}}\n');
  });

  it('property: a value made in one go reads the same as one made part by part', () => {
    const { value } = fc.letrec<{ value: JsonValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom<JsonValue>(null, true, false, 0, -1, 2 ** 53, 18446744073709551615n, new JsonFloat(0.1), new JsonFloat(-0)),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.array(fc.tuple(fc.string({ maxLength: 6 }), tie('value')), { maxLength: 4 }).map((members) => new Map(members)),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(smallJson(v, Infinity)).toBe(encodeJson(v));
      }),
    );
  });

  it('makes a value too large, too deep or holding bytes part by part, with the same bytes', () => {
    let deep: JsonValue = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const large = 'x'.repeat(20_000);
    for (const v of [deep, large, jsonObject({ data: new JsonBytes([Buffer.of(1, 2, 3)]) })]) {
      expect(smallJson(v, 16 * 1024)).toBeUndefined();
      expect(joinParts(encodeReturn(v, undefined)).toString('latin1')).toBe(`{"return": ${encodeJson(v)}}\n`);
    }
  });

  it('makes an answer of up to 16 KiB as one part', () => {
    expect([...encodeReturn('y'.repeat(16_000), 'id')]).toHaveLength(1);
    expect([...encodeError(new QgaError(QgaErrorCode.CommandNotFound, 'd'.repeat(16_000), 'CommandNotFound'), 'id')]).toHaveLength(1);
  });
});
