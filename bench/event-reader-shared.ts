/** A record type no kernel event has: tells the reader thread to stop. */
export const STOP_TYPE = 0xffff;

/** What the benchmark and the reader thread share. */
export interface ReaderShared {
  /** The fake tablet's FIFO. */
  fifo: string;
  /** Float64 per x: when the state at that x was sent (monotonicMs), 0 when none is pending. */
  sent: SharedArrayBuffer;
  /** Float64 per measured message: its latency in milliseconds. */
  latencies: SharedArrayBuffer;
  /** Int32 [latencies recorded, x whose SYN_REPORT is posted to the benchmark]. */
  counters: SharedArrayBuffer;
}

/** A monotonic clock in milliseconds that every thread of the process reads alike. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
