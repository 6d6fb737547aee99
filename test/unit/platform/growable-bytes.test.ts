import { describe, expect, it } from 'vitest';
import { GrowableBytes, releaseGrown } from '../../../src/platform/growable-bytes.js';

describe('bytes appended in pieces (an X11 INCR transfer)', () => {
  it('are one buffer of exactly their size, however high the bound', () => {
    const store = new GrowableBytes(128 * 1024 * 1024);
    store.add(Buffer.alloc(3000, 1));
    store.add(Buffer.alloc(5, 2));
    const bytes = store.take();
    expect(bytes.equals(Buffer.concat([Buffer.alloc(3000, 1), Buffer.alloc(5, 2)]))).toBe(true);
    expect(bytes.buffer.byteLength).toBe(3005);
  });

  it('are freed at once when released, and other bytes are left alone', () => {
    const store = new GrowableBytes(1 << 20);
    store.add(Buffer.alloc(4096, 1));
    const bytes = store.take();
    const other = Buffer.alloc(4096, 1);
    releaseGrown(bytes);
    releaseGrown(other);
    expect([bytes.buffer.byteLength, other.length, other[0]]).toEqual([0, 4096, 1]);
  });
});
