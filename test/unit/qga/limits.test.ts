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

  it('refuses a 100 MiB string at the 64 MiB ceiling while it streams in, holding no more than the ceiling', () => {
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
    expect(refusedAfter).toBe(64);
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
