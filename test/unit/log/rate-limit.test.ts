import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { RateLimiter } from '../../../src/log/rate-limit.js';
import { createLogger } from '../../../src/log/logger.js';

describe('RateLimiter', () => {
  it('lets a burst of identical lines through, then counts the rest', () => {
    let t = 0;
    const r = new RateLimiter({ burst: 3, windowMs: 1000, now: () => t });
    const verdicts = Array.from({ length: 10 }, () => r.check('same').pass);
    expect(verdicts.filter(Boolean)).toHaveLength(3);
    t = 1000;
    expect(r.check('same')).toEqual({ pass: true, suppressedBefore: 7 });
  });

  it('limits each distinct line on its own', () => {
    const r = new RateLimiter({ burst: 1, windowMs: 1000, now: () => 0 });
    expect(r.check('a').pass).toBe(true);
    expect(r.check('b').pass).toBe(true);
    expect(r.check('a').pass).toBe(false);
  });
});

describe('createLogger', () => {
  it('prefixes each line with its syslog priority under systemd', () => {
    const stream = new PassThrough();
    const log = createLogger({ stream, journal: true, debug: true });
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    expect(stream.read().toString().split('\n').filter(Boolean)).toEqual(['<3>e', '<4>w', '<6>i', '<7>d']);
  });

  it('does not flood: 1000 identical warnings become a handful of lines', () => {
    const stream = new PassThrough();
    const log = createLogger({ stream, journal: true });
    for (let i = 0; i < 1000; i++) log.warn('BadChunkPort: chunk port 7');
    expect(stream.read().toString().split('\n').filter(Boolean).length).toBeLessThanOrEqual(5);
  });
});
