import { helperPid, rssOf } from './proc.js';

/** VmRSS of a process in bytes, 0 once it is gone (a helper may be restarted meanwhile). */
function rssOrZero(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return rssOf(pid);
  } catch {
    return 0;
  }
}

/** The resident memory of a daemon and of its session helper, if one runs, in bytes. */
export function daemonTreeRss(daemonPid: number): number {
  let helper: number | undefined;
  try {
    helper = helperPid(daemonPid);
  } catch {
    helper = undefined;
  }
  return rssOrZero(daemonPid) + rssOrZero(helper);
}

/** The median of `count` readings of `measure`, `gapMs` apart: one reading can catch a collection midway. */
export async function settledRss(measure: () => number, count = 5, gapMs = 200): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
    readings.push(measure());
  }
  return readings.sort((a, b) => a - b)[Math.floor(count / 2)] as number;
}

/** Samples a memory figure every `intervalMs` while a run goes on, and keeps its peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private highest = 0;
  private count = 0;

  constructor(
    private readonly measure: () => number,
    private readonly intervalMs = 100,
  ) {}

  /** Starts sampling (one sample at once). */
  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  /** Stops sampling after a last sample; returns the peak in bytes and the number of samples. */
  stop(): { peak: number; samples: number } {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return { peak: this.highest, samples: this.count };
  }

  /** The highest figure so far. */
  get peak(): number {
    return this.highest;
  }

  private sample(): void {
    this.highest = Math.max(this.highest, this.measure());
    this.count++;
  }
}
