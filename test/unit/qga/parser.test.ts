import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonFloat, JsonStreamParser, QgaErrorCode } from '../../../src/qga/index.js';
import { describeEvents, parse } from './support.js';

describe('the JSON value stream', () => {
  it('yields each value when its braces balance, whatever the whitespace, without newlines', () => {
    expect(parse('{"execute":"guest-ping"}{"execute":"guest-sync","arguments":{"id":7}} \t\r\n[1, [2]]')).toEqual([
      '{"execute": "guest-ping"}',
      '{"execute": "guest-sync", "arguments": {"id": 7}}',
      '[1, [2]]',
    ]);
  });

  it('keeps a value that is cut between feeds until it is complete', () => {
    const parser = new JsonStreamParser();
    expect(parser.feed(Buffer.from('{"execute":"gue'))).toEqual([]);
    expect(parser.feed(Buffer.from('st-ping","id":12'))).toEqual([]);
    expect(describeEvents(parser.feed(Buffer.from('3}')))).toEqual(['{"execute": "guest-ping", "id": 123}']);
  });

  it('reads scalars at the top level once a following byte ends them', () => {
    expect(parse('1 "s" true false null -0 2.5e3 ')).toEqual(['1', '"s"', 'true', 'false', 'null', '0', '2500']);
  });

  it('keeps integers exact to 64 bits, signed or unsigned, and holds the rest as doubles like QEMU', () => {
    const [value] = new JsonStreamParser().feed(Buffer.from('[9007199254740993, -9223372036854775808, 18446744073709551615, 18446744073709551616, 1.5, 1E3]'));
    expect(value?.kind === 'value' && value.value).toEqual([
      9007199254740993n,
      -9223372036854775808n,
      18446744073709551615n,
      new JsonFloat(18446744073709551616),
      new JsonFloat(1.5),
      new JsonFloat(1000),
    ]);
  });

  it('holds integers longer than 21 characters as their double, at any length', () => {
    const digits = '1'.repeat(4 * 1024 * 1024);
    const [value] = new JsonStreamParser().feed(Buffer.from(`[-100000000000000000000, 1${'0'.repeat(21)}, ${digits}, -${digits}]`));
    expect(value?.kind === 'value' && value.value).toEqual([new JsonFloat(-1e20), new JsonFloat(1e21), new JsonFloat(Infinity), new JsonFloat(-Infinity)]);
  });

  it('accepts single-quoted strings and the \\\' escape (QEMU extensions)', () => {
    expect(parse("{'a':'it\\'s \"quoted\"'}")).toEqual(['{"a": "it\'s \\"quoted\\""}']);
  });

  it('decodes escapes, surrogate pairs, UTF-8 and modified UTF-8 NUL', () => {
    expect(parse('["\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\u0000", "\xc3\xa9\xf0\x9f\x98\x80\xc0\x80"]')).toEqual([
      '["\\u00E9\\uD83D\\uDE00/\\b\\f\\n\\r\\t\\u0000", "\\u00E9\\uD83D\\uDE00\\u0000"]',
    ]);
  });

  it.each([
    ['}', 'expecting value'],
    ['[1,]', 'expecting value'],
    ['{"a":}', 'expecting value'],
    ['{"a" 1}', 'missing : in object pair'],
    ['{1:2}', 'key is not a string in object'],
    ['[1 2]', 'expected separator in list'],
    ['{"a":1 "b":2}', 'expected separator in dict'],
    ['{"a":1,"a":2}', 'duplicate key'],
    ['nul ', "invalid keyword 'nul'"],
    ['["\\x"]', 'invalid escape sequence in string'],
    ['["\\u12G4"]', '\\u12G4 is not a valid Unicode character'],
    ['["\\ud800\\u0041"]', '\\ud800 is not a valid Unicode character'],
    ['["\\uFFFE"]', '\\uFFFE is not a valid Unicode character'],
    ['["\xed\xa0\x80"]', 'invalid UTF-8 sequence in string'],
    ['["\xe0\x80\xaf"]', 'invalid UTF-8 sequence in string'],
    ['["\xef\xbf\xbf"]', 'invalid UTF-8 sequence in string'],
  ])('refuses %j with "JSON parse error, %s"', (input, detail) => {
    const [event] = new JsonStreamParser().feed(Buffer.from(input, 'latin1'));
    expect(event?.kind === 'error' && event.error.code).toBe(QgaErrorCode.JsonSyntax);
    expect(event?.kind === 'error' && event.error.desc).toBe(`JSON parse error, ${detail}`);
  });

  it('reports the first error of a value, once, when its braces balance', () => {
    expect(parse('{"a":nul,"a":1,"b" 2}')).toEqual(["error: JSON parse error, invalid keyword 'nul'"]);
    expect(parse('{"a":[1,]')).toEqual([]);
  });

  it('property: any split of a stream into feeds yields the same events', () => {
    const stream = Buffer.from(
      '{"execute":"guest-sync","arguments":{"id":-12}} garbage\n{"a":[1,2.5e-3,"\\u00e9\xc3\xa9",{"b":null}]}\xff"x\x01\n' +
        "{'execute':'guest-ping','id':[true,false]}[1 2]{\"a\":1,\"a\":2}\n",
      'latin1',
    );
    const whole = describeEvents(new JsonStreamParser().feed(stream));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const parser = new JsonStreamParser();
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const events = points.slice(1).flatMap((end, i) => describeEvents(parser.feed(stream.subarray(points[i], end))));
        expect(events).toEqual(whole);
      }),
    );
  });
});
