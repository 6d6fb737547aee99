import { describe, expect, it } from 'vitest';
import { JsonStreamParser, QEMU_LIMITS, QgaErrorCode } from '../../../src/qga/index.js';
import { describeEvents, parse } from './support.js';

const count = (items: string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
};

describe('parser limits', () => {
  it('refuses nesting 10,000 deep without recursion, answering as qemu-ga does', () => {
    expect(count(parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`))).toEqual(
      new Map([
        ['error: JSON nesting depth limit exceeded', 9],
        // 10,000 - 9 × 1025 openings are left, and close as a 775-deep array...
        [`${'['.repeat(775)}${']'.repeat(775)}`, 1],
        // ...after which each closing bracket has no opener.
        ['error: JSON parse error, expecting value', 9225],
      ]),
    );
  });

  it('refuses a 100 MiB string at the 32 MiB memory ceiling while it streams in, holding no more than the ceiling', () => {
    const parser = new JsonStreamParser();
    parser.feed(Buffer.from('{"execute":"guest-ping","id":"'));
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let refusedAfter: number | undefined;
    for (let mib = 1; mib <= 100; mib++) {
      const events = parser.feed(chunk);
      if (events.length > 0) {
        refusedAfter ??= mib;
        expect(describeEvents(events)).toEqual(['error: JSON token size limit exceeded']);
      }
    }
    expect(refusedAfter).toBe(32);
    // The rest is skipped like any bad input; the closing brace has no opener.
    expect(describeEvents(parser.feed(Buffer.from('"}\n{"execute":"guest-ping"}')))).toEqual([
      'error: JSON parse error, expecting value',
      '{"execute": "guest-ping"}',
    ]);
  });

  it('counts every token of a value against the byte ceiling', () => {
    const limits = { ...QEMU_LIMITS, maxBytes: 20 };
    expect(parse('["0123456789","0123456789"]["ok"]', limits)).toEqual(['error: JSON token size limit exceeded', 'error: JSON parse error, expecting value', '["ok"]']);
  });

  it('refuses a value of too many tokens', () => {
    const events = new JsonStreamParser({ ...QEMU_LIMITS, maxTokens: 10 }).feed(Buffer.from('[1,2,3,4,5,6,7]'));
    expect(events[0]?.kind === 'error' && [events[0].error.code, events[0].error.desc]).toEqual([QgaErrorCode.JsonLimit, 'JSON token count limit exceeded']);
  });
});

describe('the memory of a parsed value', () => {
  /** `[{},{},…]` of about `mib` MiB, in 64 KiB chunks, then more input. */
  function* emptyObjects(mib: number): Generator<Buffer> {
    const chunk = Buffer.from('{},'.repeat(64 * 1024 / 3));
    yield Buffer.from('[');
    for (let i = 0; i < (mib * 1024 * 1024) / chunk.length; i++) yield chunk;
    yield Buffer.from('{}]');
  }

  it('refuses 15.8 MiB of [{},{},…] once its estimated memory passes the ceiling, with one error, then parses on', () => {
    const parser = new JsonStreamParser();
    const events: string[] = [];
    let refusedAfterBytes = 0;
    let fed = 0;
    for (const chunk of emptyObjects(15.8)) {
      fed += chunk.length;
      const got = describeEvents(parser.feed(chunk));
      if (got.length > 0 && events.length === 0) refusedAfterBytes = fed;
      events.push(...got);
    }
    events.push(...describeEvents(parser.feed(Buffer.from('{"execute":"guest-ping"}'))));
    expect(events).toEqual(['error: JSON value memory limit exceeded', '{"execute": "guest-ping"}']);
    // 32 MiB of Maps at 192 bytes each is some 175,000 objects, 0.5 MiB of text.
    expect(refusedAfterBytes).toBeLessThan(1024 * 1024);
  });

  it('refuses before the token count ceiling, and an 0xFF inside the skipped rest resynchronises', () => {
    const limits = { ...QEMU_LIMITS, maxMemory: 10_000 };
    expect(parse(`[${'{},'.repeat(100)}\xff{"execute":"guest-ping"}`, limits)).toEqual([
      'error: JSON value memory limit exceeded',
      "error: JSON parse error, stray '\uFFFD'",
      '{"execute": "guest-ping"}',
    ]);
  });

  it('charges strings by their characters: a 31 MiB base64 string fits, as a large guest-file-write needs', () => {
    const parser = new JsonStreamParser();
    parser.feed(Buffer.from('{"execute":"guest-file-write","arguments":{"handle":1000,"buf-b64":"'));
    const chunk = Buffer.alloc(1024 * 1024, 'A');
    for (let mib = 0; mib < 31; mib++) expect(parser.feed(chunk)).toEqual([]);
    const events = parser.feed(Buffer.from('"}}'));
    expect(events.map((e) => e.kind)).toEqual(['value']);
    expect(events[0]?.kind === 'value' && events[0].size).toBeGreaterThan(31 * 1024 * 1024);
  });
});
