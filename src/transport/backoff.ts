/** Options of a {@link Backoff}; all in milliseconds except `factor`. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

/** Capped exponential delays: `next()` returns the current delay and grows it; `reset()` starts over. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  private current: number;

  constructor({ initialMs = 100, maxMs = 2000, factor = 2 }: BackoffOptions = {}) {
    if (!(initialMs > 0) || !(maxMs >= initialMs) || !(factor >= 1)) {
      throw new RangeError(`invalid backoff: initial ${initialMs}, max ${maxMs}, factor ${factor}`);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.current = initialMs;
  }

  /** Returns the delay to wait now, and grows the following one up to `maxMs`. */
  next(): number {
    const delay = this.current;
    this.current = Math.min(this.maxMs, this.current * this.factor);
    return delay;
  }

  /** Starts again from `initialMs`. */
  reset(): void {
    this.current = this.initialMs;
  }
}
