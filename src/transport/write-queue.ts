import fs from 'node:fs';
import { isRetry } from '../platform/errno.js';

/** Most buffers one writev(2) is given (Linux's IOV_MAX). */
const IOV_MAX = 1024;
/**
 * Bytes after which no more buffers are added to one writev(2): more than a port takes at once (a
 * pty has about 8 KiB of room, a virtio port takes 32 KiB per write, a pipe 64 KiB), so the rest
 * would only be handed over to be refused. A writev costs by the buffers it is given, taken or not
 * (1024 of them about 140 µs, 32 about 3 µs): a 16 MiB message that a pty takes 10 KiB at a time
 * cost about 250 ms of CPU at 1024 buffers per call.
 */
export const WRITE_BYTES = 64 * 1024;

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
 * Writes waiting for a non-blocking descriptor, in order. A flush writes what waits with writev(2),
 * up to WRITE_BYTES (and IOV_MAX buffers) per call and again while the kernel takes it all, in
 * place, on the event loop's thread, never on libuv's thread pool; what the kernel did not take
 * waits for the next flush (on writability).
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

  /** The buffers of the next writev: the unwritten rest of the waiting writes, in order, up to WRITE_BYTES. */
  private gather(): Buffer[] {
    const iov: Buffer[] = [];
    let bytes = 0;
    for (const item of this.pending) {
      for (let i = item.next; i < item.buffers.length && iov.length < IOV_MAX && bytes < WRITE_BYTES; i++) {
        const b = item.buffers[i] as Buffer;
        iov.push(b);
        bytes += b.length;
      }
      if (iov.length === IOV_MAX || bytes >= WRITE_BYTES) break;
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
