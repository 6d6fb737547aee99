import { describe, expect, it } from 'vitest';
import { encodeError, joinParts, JsonStreamParser } from '../../../src/qga/index.js';
import { parse } from './support.js';

const stray = (text: string): string => `error: JSON parse error, stray '${text}'`;

describe('resynchronising on bad bytes', () => {
  it('answers a 0xFF byte with one error and starts afresh, dropping a partial value', () => {
    expect(parse('{"execute":"gue\xff{"execute":"guest-sync-delimited","arguments":{"id":1}}')).toEqual([
      stray('"gue\uFFFD'),
      '{"execute": "guest-sync-delimited", "arguments": {"id": 1}}',
    ]);
  });

  it('answers each 0xFF byte once', () => {
    expect(parse('\xff\xff\n')).toEqual([stray('\uFFFD'), stray('\uFFFD')]);
  });

  it('writes the stray text as qemu-ga does: pure ASCII, U+FFFD per invalid sequence', () => {
    const [event] = new JsonStreamParser().feed(Buffer.from('"\xc3\xa9\x80\x80\xe2\x82\x01', 'latin1'));
    expect(event && event.kind === 'error' && joinParts(encodeError(event.error, undefined)).toString('latin1')).toBe(
      `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\"\\u00E9\\uFFFD\\uFFFD\\uFFFD\\u0001'"}}\n`,
    );
  });

  it('after a lexical error skips to a structural character, a control character or 0xFF', () => {
    expect(parse('01 garbage more}{"execute":"guest-ping"}')).toEqual([stray('01'), 'error: JSON parse error, expecting value', '{"execute": "guest-ping"}']);
    expect(parse('- x y\nnull ')).toEqual([stray('- '), 'null']);
  });

  it('ends a string at a control character (a newline inside a string is an error)', () => {
    expect(parse('"a\tb"\n')).toEqual([stray('"a\t')]);
  });

  it('forgets everything partial on reset (the port went down)', () => {
    const parser = new JsonStreamParser();
    parser.feed(Buffer.from('{"execute":"gue'));
    parser.reset();
    expect(parser.feed(Buffer.from('{"execute":"guest-ping"}')).map((e) => e.kind)).toEqual(['value']);
  });
});
