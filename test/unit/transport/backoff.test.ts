import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/transport/backoff.js';

describe('Backoff', () => {
  it('starts at 100 ms and doubles up to 2 s by default', () => {
    const b = new Backoff();
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('starts over from the initial delay after reset()', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000, factor: 3 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 30, 90]);
    b.reset();
    expect(b.next()).toBe(10);
  });

  it('never shrinks and never exceeds the cap, for any options', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        (initialMs, extra, factor) => {
          const b = new Backoff({ initialMs, maxMs: initialMs + extra, factor });
          let prev = 0;
          for (let i = 0; i < 40; i++) {
            const d = b.next();
            expect(d).toBeGreaterThanOrEqual(prev);
            expect(d).toBeLessThanOrEqual(initialMs + extra);
            prev = d;
          }
        },
      ),
    );
  });

  it('rejects nonsensical options', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 500, maxMs: 100 })).toThrow(RangeError);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(RangeError);
  });
});
