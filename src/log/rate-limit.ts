/** Limits of the warning rate limiter. */
export interface RateLimitOptions {
  /** Identical lines let through per window. */
  burst?: number;
  /** Window length in milliseconds. */
  windowMs?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

/** The limiter's verdict for one line. */
export type RateVerdict = { pass: true; suppressedBefore: number } | { pass: false };

interface Window {
  start: number;
  count: number;
  suppressed: number;
}

/**
 * Lets through at most `burst` identical lines per window and counts the rest; the count is
 * reported with the next line that passes. No timers: an idle daemon stays idle.
 */
export class RateLimiter {
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? 5;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Decides whether the line with this key is written. */
  check(key: string): RateVerdict {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      const suppressedBefore = w?.suppressed ?? 0;
      if (this.windows.size >= 1024) this.windows.clear();
      this.windows.set(key, { start: t, count: 1, suppressed: 0 });
      return { pass: true, suppressedBefore };
    }
    if (w.count < this.burst) {
      w.count++;
      return { pass: true, suppressedBefore: 0 };
    }
    w.suppressed++;
    return { pass: false };
  }
}
