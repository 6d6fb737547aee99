import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { RateLimiter, shapeOf } from '../../../src/log/rate-limit.js';
import { createLogger } from '../../../src/log/logger.js';

/** A limiter on a clock the test moves. */
function limiter(options: { burst?: number; budget?: number; windowMs?: number } = {}): { r: RateLimiter; at: (ms: number) => void } {
  let t = 0;
  return { r: new RateLimiter({ windowMs: 1000, ...options, now: () => t }), at: (ms) => (t = ms) };
}

/** Timers pending in this process (the test runner has its own). */
function timers(): number {
  return process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
}

/** A logger writing journal-format lines into a list. */
function journalLogger(r?: RateLimiter, debug = false): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { log: createLogger({ stream, journal: true, debug, limiter: r }), lines };
}

describe('shapeOf', () => {
  it('replaces decimal and hex numbers, so lines differing in ids and sizes share a shape', () => {
    expect(shapeOf('file-xfer 17: receiving 4096 bytes')).toBe(shapeOf('file-xfer 3: receiving 12 bytes'));
    expect(shapeOf('client capabilities 0x00035077 [MouseState]')).toBe('client capabilities # [MouseState]');
    expect(shapeOf('client disconnected')).not.toBe(shapeOf('graphics devices: none'));
  });
});

describe('RateLimiter', () => {
  it('lets a burst of lines of one shape through per window, then counts the rest for a report', () => {
    const { r, at } = limiter({ burst: 3 });
    const verdicts = Array.from({ length: 10 }, (_, i) => r.check(`MessageTooLarge: message type ${i} declares ${i * 7} bytes`));
    expect(verdicts.filter(Boolean)).toHaveLength(3);
    expect(r.takeReport()).toBeUndefined(); // the window has not ended
    expect(r.msUntilReport()).toBe(1000);
    at(1000);
    expect(r.msUntilReport()).toBe(0);
    expect(r.takeReport()).toEqual({ lines: 7, example: 'MessageTooLarge: message type 3 declares 21 bytes', exampleCount: 7 });
    expect(r.takeReport()).toBeUndefined();
    expect(r.msUntilReport()).toBeUndefined();
    expect(r.check('MessageTooLarge: message type 1 declares 2 bytes')).toBe(true);
  });

  it('limits each shape on its own', () => {
    const { r } = limiter({ burst: 1 });
    expect(r.check('a')).toBe(true);
    expect(r.check('b')).toBe(true);
    expect(r.check('a')).toBe(false);
  });

  it('holds alternating and ever-different lines to the budget for all lines together', () => {
    const { r, at } = limiter({ burst: 5, budget: 20 });
    let passed = 0;
    for (let i = 0; i < 10_000; i++) {
      const text = i % 3 === 0 ? 'client disconnected' : i % 3 === 1 ? `graphics devices: display 0 -> pci/${'x'.repeat(i % 50)} output 1` : `resolution: ${'y'.repeat(i % 97)}`;
      if (r.check(text)) passed++;
    }
    expect(passed).toBe(20);
    at(1000);
    const report = r.takeReport();
    expect(report?.lines).toBe(10_000 - 20);
    expect(report?.example).toBe('client disconnected');
  });

  it('adds up the windows that ended before the report was taken', () => {
    const { r, at } = limiter({ burst: 1 });
    r.check('x');
    r.check('x');
    at(1500);
    r.check('x');
    r.check('x');
    r.check('x');
    at(3000);
    expect(r.takeReport()?.lines).toBe(3);
  });
});

describe('createLogger', () => {
  it('prefixes each line with its syslog priority under systemd', () => {
    const { log, lines } = journalLogger(undefined, true);
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    expect(lines).toEqual(['<3>e', '<4>w', '<6>i', '<7>d']);
  });

  it('arms no timer while nothing is suppressed', () => {
    const before = timers();
    const { log } = journalLogger();
    log.info('module mouse started');
    expect(timers()).toBe(before);
  });

  it('limits every level but debug: 1000 varying lines of each become a handful', async () => {
    const { log, lines } = journalLogger(new RateLimiter({ windowMs: 200 }), true);
    for (let i = 0; i < 1000; i++) {
      log.error(`module ${i}: failed`);
      log.warn(`BadChunkPort: chunk port ${i}`);
      log.info(`file-xfer ${i}: complete`);
    }
    expect(lines).toHaveLength(15);
    for (let i = 0; i < 1000; i++) log.debug(`<- MOUSE_STATE x=${i}`);
    expect(lines).toHaveLength(1015);
    await new Promise((done) => setTimeout(done, 400));
    expect(lines.at(-1)).toMatch(/^<4>flood control: 2985 log lines suppressed/);
  });

  it('writes the count of what it suppressed when the window ends, once, and no timer stays behind', async () => {
    const before = timers();
    const r = new RateLimiter({ windowMs: 300 });
    const { log, lines } = journalLogger(r);
    for (let i = 0; i < 500; i++) log.info(i % 2 ? 'client disconnected' : `graphics devices: display ${i} -> pci/0000/02.0 output 0`);
    expect(lines).toHaveLength(10);
    await new Promise((done) => setTimeout(done, 600));
    expect(lines).toHaveLength(11);
    expect(lines[10]).toMatch(/^<4>flood control: 490 log lines suppressed \(at most 5 alike and 100 in all per 0.3 s\); most often \(245×\): /);
    expect(timers()).toBeLessThanOrEqual(before);
  });

});

describe('the report line', () => {
  it('is written even when the window it lands in has used up its budget', async () => {
    let t = 0;
    const r = new RateLimiter({ windowMs: 300, budget: 10, now: () => t });
    const { log, lines } = journalLogger(r);
    for (let i = 0; i < 50; i++) log.warn(`line ${'z'.repeat(i)}`);
    t = 300; // a new window, flooded at once, before the first window's report is written
    for (let i = 0; i < 50; i++) log.warn(`line ${'z'.repeat(i)}`);
    expect(lines).toHaveLength(20);
    await new Promise((done) => setTimeout(done, 450));
    expect(lines[20]).toMatch(/^<4>flood control: 40 log lines suppressed/);
    t = 10_000; // let the timer armed for the second window find its report, so none stays behind
    await new Promise((done) => setTimeout(done, 400));
    expect(lines[21]).toMatch(/^<4>flood control: 40 log lines suppressed/);
  });
});
