import fs from 'node:fs';
import { isRetry } from '../platform/errno.js';

/** Most buffers one writev(2) is given (Linux's IOV_MAX). */
const IOV_MAX = 1024;

/** How a flush ended: everything written, the kernel full after taking some, or it took nothing. */
export type FlushResult = 'done' | 'full' | 'stuck';

interface PendingWrite {
  readonly buffers: Buffer[];
  /** The first buffer not yet fully written; buffers[next] is cut to its unwritten rest. */
  next: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * Writes waiting for a non-blocking descriptor, in order. Each flush is one writev(2) of
 * everything waiting (up to IOV_MAX buffers) made in place, on the event loop's thread, never on
 * libuv's thread pool; what the kernel did not take waits for the next flush (on writability).
 */
export class WriteQueue {
  private readonly pending: PendingWrite[] = [];

  /** Whether nothing waits. */
  get empty(): boolean {
    return this.pending.length === 0;
  }

  /** Queues `buffers` as one write, settled once the kernel took all of them (or by fail()). */
  add(buffers: readonly Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ buffers: buffers.filter((b) => b.length > 0), next: 0, resolve, reject });
    });
  }

  /**
   * Writes what waits until the kernel is full: 'done' when everything was written, else the rest
   * waits for writability: 'full' after the kernel took some, 'stuck' when it took nothing (a
   * wake-up without room: the host may be absent). Throws the system error of a failed write (the
   * caller fails the port).
   */
  flush(fd: number): FlushResult {
    let progressed = false;
    for (;;) {
      this.settleWritten();
      if (this.pending.length === 0) return 'done';
      const iov = this.gather();
      const size = iov.reduce((n, b) => n + b.length, 0);
      let n: number;
      try {
        n = fs.writevSync(fd, iov);
      } catch (err) {
        const retry = isRetry(err);
        if (retry === 'intr') continue;
        if (retry === 'again') return progressed ? 'full' : 'stuck';
        throw err;
      }
      this.advance(n);
      progressed ||= n > 0;
      if (n < size) {
        this.settleWritten();
        if (this.pending.length === 0) return 'done';
        return progressed ? 'full' : 'stuck';
      }
    }
  }

  /** Rejects every waiting write with `err` and forgets them. */
  fail(err: Error): void {
    for (const item of this.pending.splice(0)) item.reject(err);
  }

  /** The buffers of the next writev: the unwritten rest of the waiting writes, in order. */
  private gather(): Buffer[] {
    const iov: Buffer[] = [];
    for (const item of this.pending) {
      for (let i = item.next; i < item.buffers.length && iov.length < IOV_MAX; i++) iov.push(item.buffers[i] as Buffer);
      if (iov.length === IOV_MAX) break;
    }
    return iov;
  }

  /** Marks `n` bytes written from the front. */
  private advance(n: number): void {
    let left = n;
    for (const item of this.pending) {
      while (left > 0 && item.next < item.buffers.length) {
        const b = item.buffers[item.next] as Buffer;
        if (b.length <= left) {
          left -= b.length;
          item.next++;
        } else {
          item.buffers[item.next] = b.subarray(left);
          left = 0;
        }
      }
      if (left === 0) return;
    }
  }

  /** Resolves the writes at the front that were written entirely. */
  private settleWritten(): void {
    while (this.pending.length > 0) {
      const item = this.pending[0] as PendingWrite;
      if (item.next < item.buffers.length) return;
      this.pending.shift();
      item.resolve();
    }
  }
}
