/** Limits of the flood control. */
export interface RateLimitOptions {
  /** Lines of one shape let through per window (default 5). */
  burst?: number;
  /** Lines of all shapes together let through per window (default 100). */
  budget?: number;
  /** Window length in milliseconds (default 10 s). */
  windowMs?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

/** What was suppressed in windows that have ended. */
export interface SuppressedReport {
  /** Lines suppressed. */
  lines: number;
  /** The line suppressed most often, as first seen. */
  example: string;
  /** How many times that line's shape was suppressed. */
  exampleCount: number;
}

/** Most shapes remembered per window; lines of further shapes are held to the budget alone. */
const MAX_SHAPES = 1024;

interface Shape {
  passed: number;
  suppressed: number;
  /** The first text of this shape suppressed in the window. */
  text: string;
}

interface Window {
  start: number;
  passed: number;
  suppressed: number;
  shapes: Map<string, Shape>;
}

/**
 * A line's shape: its text with every number (decimal, or hex after 0x) replaced by `#`, so lines
 * that differ only in ids, sizes, ports or counts share one limit.
 */
export function shapeOf(text: string): string {
  return text.replace(/0x[0-9a-f]+|\d+/gi, '#');
}

/**
 * Flood control for log lines a peer can trigger: per window, at most `burst` lines of one shape
 * and `budget` lines in all pass; the rest are counted for a report once the window has ended.
 * No timers here: the caller asks when a report is due and takes it.
 */
export class RateLimiter {
  /** Lines of one shape let through per window. */
  readonly burst: number;
  /** Lines in all let through per window. */
  readonly budget: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
  private readonly now: () => number;
  private window: Window | undefined;
  private pending: SuppressedReport | undefined;

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? 5;
    this.budget = options.budget ?? 100;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Decides whether a line with this text is written; false counts it as suppressed. */
  check(text: string): boolean {
    const w = this.current();
    const key = shapeOf(text);
    let shape = w.shapes.get(key);
    if (!shape && w.shapes.size < MAX_SHAPES) {
      shape = { passed: 0, suppressed: 0, text };
      w.shapes.set(key, shape);
    }
    if ((shape === undefined || shape.passed < this.burst) && w.passed < this.budget) {
      if (shape) shape.passed++;
      w.passed++;
      return true;
    }
    if (shape) {
      if (shape.suppressed === 0) shape.text = text;
      shape.suppressed++;
    }
    w.suppressed++;
    return false;
  }

  /** Milliseconds until a report of suppressed lines is due (0: now); undefined when nothing was suppressed. */
  msUntilReport(): number | undefined {
    this.roll();
    if (this.pending) return 0;
    if (!this.window || this.window.suppressed === 0) return undefined;
    return Math.max(0, this.window.start + this.windowMs - this.now());
  }

  /** Takes the report of lines suppressed in windows that have ended, if any. */
  takeReport(): SuppressedReport | undefined {
    this.roll();
    const report = this.pending;
    this.pending = undefined;
    return report;
  }

  /** The window in force, opening one when none is. */
  private current(): Window {
    this.roll();
    this.window ??= { start: this.now(), passed: 0, suppressed: 0, shapes: new Map() };
    return this.window;
  }

  /** Closes the window once it has ended, adding what it suppressed to the pending report. */
  private roll(): void {
    const w = this.window;
    if (!w || this.now() - w.start < this.windowMs) return;
    this.window = undefined;
    if (w.suppressed === 0) return;
    let top: Shape | undefined;
    for (const s of w.shapes.values()) if (s.suppressed > (top?.suppressed ?? 0)) top = s;
    const report = this.pending ?? { lines: 0, example: '', exampleCount: 0 };
    report.lines += w.suppressed;
    if (top && top.suppressed > report.exampleCount) {
      report.example = top.text;
      report.exampleCount = top.suppressed;
    }
    this.pending = report;
  }
}

/**
 * Arranges for `report` to receive each report of lines `limiter` suppressed, when it is due: the
 * returned function is called after each suppressed line. One unref'd timer at a time.
 */
export function reportSuppressed(limiter: RateLimiter, report: (r: SuppressedReport) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const ms = timer ? undefined : limiter.msUntilReport();
    if (ms === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      const due = limiter.takeReport();
      if (due) report(due);
      arm();
    }, ms + 1);
    timer.unref();
  };
  return arm;
}
