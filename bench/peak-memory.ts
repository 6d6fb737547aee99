import { readFileSync, writeFileSync } from 'node:fs';

/** A process's resident set (VmRSS) and its high-water mark since the last reset (VmHWM), in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * The peak resident memory of processes over what they held before, measured by the kernel
 * (VmHWM after resetting it through clear_refs), so no sampling interval can miss a peak.
 */
export class PeakOverIdle {
  private readonly idle: number[];

  /** Resets each process's high-water mark; `idle` is each one's idle RSS (default: its RSS now). */
  constructor(
    private readonly pids: readonly number[],
    idle?: readonly number[],
  ) {
    this.idle = idle ? [...idle] : pids.map((pid) => memoryOf(pid).rss);
    for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
  }

  /** Each process's peak since construction minus its idle RSS, in bytes (same order as the pids). */
  growth(): number[] {
    return this.pids.map((pid, i) => memoryOf(pid).peak - (this.idle[i] as number));
  }
}
