import { describe, expect, it, vi } from 'vitest';
import { RequestIntake } from '../../../src/daemon/qga-intake.js';
import { encodeJson, JsonStreamParser, type ParseEvent, QgaErrorCode } from '../../../src/qga/index.js';
import { memoryLogger } from '../../support/log.js';

const limits = { maxItems: 4, maxBytes: 1024 * 1024, maxHeld: 256 * 1024 };
const pings = (from: number, n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => `{"execute":"guest-sync","arguments":{"id":${from + i}}}`).join(''));
const ids = (events: (ParseEvent | undefined)[]): unknown[] =>
  events.map((e) => (e?.kind === 'value' ? encodeJson(e.value).replace(/.*"id": (\d+).*/, '$1') : e));

/** A port that records reading control. */
function pausablePort(): { port: { name: string; pause(): void; resume(): void }; calls: string[] } {
  const calls: string[] = [];
  return { port: { name: 'test port', pause: () => calls.push('pause'), resume: () => calls.push('resume') }, calls };
}

describe('the request intake', () => {
  it('queues at most its items, pauses the port while input waits, and resumes once it is parsed, in order', () => {
    const { port, calls } = pausablePort();
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, limits);
    intake.push(pings(0, 3000));
    intake.push(pings(3000, 10));
    // One 4 KiB slice at most beyond the bound: the queue is full, the rest waits unparsed.
    expect(intake.length).toBeGreaterThanOrEqual(4);
    expect(intake.length).toBeLessThan(4 + 4096 / 40);
    expect(calls).toEqual(['pause']);
    const taken: (ParseEvent | undefined)[] = [];
    for (let e = intake.next(); e; e = intake.next()) taken.push(e);
    expect(ids(taken)).toEqual(Array.from({ length: 3010 }, (_, i) => String(i)));
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('bounds the queue by the estimated memory of its requests', () => {
    const { port } = pausablePort();
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, { ...limits, maxItems: 1000, maxBytes: 500_000 });
    intake.push(Buffer.from(`[${'{},'.repeat(2000)}{}]`.repeat(10)));
    // 2001 objects are some 400 kB in memory, from 6 kB of text: a second value would pass the bound.
    expect(intake.length).toBe(1);
    expect(intake.bytes).toBeLessThanOrEqual(500_000);
  });

  it('keeps both bounds exactly under garbage that yields an error per byte, losing and merging none', () => {
    const { port } = pausablePort();
    const bounds = { maxItems: 256, maxBytes: 64 * 1024, maxHeld: 1024 * 1024 };
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, bounds);
    const garbage = Buffer.from(']\xff'.repeat(8 * 1024), 'latin1'); // 16 Ki errors
    for (let at = 0; at < garbage.length; at += 1000) {
      intake.push(garbage.subarray(at, at + 1000));
      expect(intake.length).toBeLessThanOrEqual(bounds.maxItems);
      expect(intake.bytes).toBeLessThanOrEqual(bounds.maxBytes);
    }
    expect(intake.length).toBe(bounds.maxItems);
    const codes = new Map<string, number>();
    let left = intake.bytes;
    for (let e = intake.next(); e; e = intake.next()) {
      left -= e.size;
      expect(intake.length).toBeLessThanOrEqual(bounds.maxItems);
      expect(intake.bytes).toBeLessThanOrEqual(bounds.maxBytes);
      if (e.kind === 'error') codes.set(e.error.code, (codes.get(e.error.code) ?? 0) + 1);
      // Each error is a plain record, no Error with its stack.
      expect(e.kind === 'error' && e.error instanceof Error).toBe(false);
      if (intake.length === 0) expect(intake.bytes).toBe(0);
    }
    expect(left).toBeLessThanOrEqual(0);
    expect(intake.bytes).toBe(0);
    expect(Object.fromEntries(codes)).toEqual({ [QgaErrorCode.JsonSyntax]: 16 * 1024 });
  });

  it('bounds the queue in bytes when errors fill it before its items do', () => {
    const { port } = pausablePort();
    const bounds = { maxItems: 100_000, maxBytes: 16 * 1024, maxHeld: 1024 * 1024 };
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, bounds);
    intake.push(Buffer.alloc(64 * 1024, 0xff));
    expect(intake.bytes).toBeLessThanOrEqual(bounds.maxBytes);
    expect(intake.bytes).toBeGreaterThan(bounds.maxBytes - 1024);
    let errors = 0;
    for (let e = intake.next(); e; e = intake.next()) errors++;
    expect(errors).toBe(64 * 1024);
  });

  it('parses a 1 MiB guest-file-write in 4 KiB slices even when the queue has room for it alone', () => {
    const { port } = pausablePort();
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, { ...limits, maxBytes: 16 * 1024 * 1024 });
    intake.push(pings(0, 3));
    const write = Buffer.from(`{"execute":"guest-file-write","arguments":{"handle":1,"buf-b64":"${'A'.repeat(1024 * 1024)}"}}`);
    const feed = vi.spyOn(JsonStreamParser.prototype, 'feed');
    try {
      intake.push(write);
      expect(feed.mock.calls.length).toBe(Math.ceil(write.length / 4096));
      expect(feed.mock.calls.slice(0, -1).every(([slice]) => slice.length === 4096)).toBe(true);
    } finally {
      feed.mockRestore();
    }
    expect(intake.length).toBe(4);
  });

  it('drops input past its hold on a port that cannot pause, with a log line, and serves what it kept', () => {
    const { log, lines } = memoryLogger();
    const intake = new RequestIntake({ name: 'test port' }, log, () => undefined, { ...limits, maxHeld: 1000 });
    intake.push(pings(0, 4));
    intake.push(pings(4, 20));
    intake.push(pings(100, 20));
    expect(lines().some((l) => l.includes('the host sends requests faster than they are answered'))).toBe(true);
    const taken: (ParseEvent | undefined)[] = [];
    for (let e = intake.next(); e; e = intake.next()) taken.push(e);
    expect(ids(taken)).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
  });

  it('forgets everything when cleared', () => {
    const { port, calls } = pausablePort();
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, limits);
    intake.push(pings(0, 3000));
    intake.clear();
    expect([intake.length, intake.next(), calls]).toEqual([0, undefined, ['pause', 'resume']]);
  });
});
