import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { INPUT_EVENT_SIZE } from '../src/platform/uinput/input-event.js';
import { STOP_TYPE, type ReaderShared } from './event-reader-shared.js';

/**
 * Reads the fake tablet's FIFO on a thread of its own that blocks in read(2), like a C reader
 * would, and measures for each SYN_REPORT the time since the state it closes was sent. Read on
 * the event loop instead, the benchmark's own wake-ups added more to p99 than the daemon did.
 */
export class EventReader {
  private readonly worker: Worker;
  private readonly sent: Float64Array;
  private latencies: Float64Array;
  private readonly counters: Int32Array;

  constructor(
    private readonly fifo: string,
    /** One more than the largest x a state may carry. */
    width: number,
    /** The most latencies one run records. */
    capacity: number,
  ) {
    const shared: ReaderShared = {
      fifo,
      sent: new SharedArrayBuffer(width * 8),
      latencies: new SharedArrayBuffer(capacity * 8),
      counters: new SharedArrayBuffer(8),
    };
    this.sent = new Float64Array(shared.sent);
    this.latencies = new Float64Array(shared.latencies);
    this.counters = new Int32Array(shared.counters);
    Atomics.store(this.counters, 1, -1);
    this.worker = new Worker(new URL('./event-reader-worker.js', import.meta.url), { workerData: shared });
  }

  /** Marks the state at `x` as sent at `at` (monotonicMs). */
  sentAt(x: number, at: number): void {
    this.sent[x] = at;
  }

  /** Forgets pending states and recorded latencies: a new run starts. */
  reset(): void {
    this.sent.fill(0);
    Atomics.store(this.counters, 0, 0);
  }

  /** The latencies recorded since reset(), in milliseconds. */
  recorded(): Float64Array {
    return this.latencies.slice(0, Math.min(Atomics.load(this.counters, 0), this.latencies.length));
  }

  /** Resolves when the SYN_REPORT closing a state at `x` arrives. */
  whenSynced(x: number): Promise<void> {
    Atomics.store(this.counters, 1, x);
    return new Promise((resolve) => {
      const on = (seen: number): void => {
        if (seen !== x) return;
        this.worker.off('message', on);
        resolve();
      };
      this.worker.on('message', on);
    });
  }

  /** Stops the thread (a STOP_TYPE record wakes its read) and waits for it. */
  async close(): Promise<void> {
    const fd = openSync(this.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const stop = Buffer.alloc(INPUT_EVENT_SIZE);
    stop.writeUInt16LE(STOP_TYPE, 16);
    writeSync(fd, stop);
    closeSync(fd);
    await new Promise((resolve) => this.worker.once('exit', resolve));
  }
}
