import { writeSync } from 'node:fs';
import { ErrnoError, isRetry } from '../errno.js';
import { FdWatcher } from '../fd-watcher.js';

/** Behind at or above these marks of queued records… */
const HIGH_BYTES = 64 * 1024;
const HIGH_ITEMS = 512;
/** …caught up again at or below these. */
const LOW_BYTES = 16 * 1024;
const LOW_ITEMS = 128;
/** Past these, records are refused (the port is paused long before, at the high marks). */
const MAX_BYTES = 1024 * 1024;
const MAX_ITEMS = 8192;

/**
 * Input-event records to a non-blocking descriptor (/dev/uinput, or the file or FIFO of
 * `--fake-uinput`), in order. What the kernel does not take at once waits in a queue bounded in
 * bytes and records; past the high marks the sink says it is behind (the daemon stops reading the
 * port) until the queue drained to the low marks.
 */
export class EventSink {
  private readonly queue: Buffer[] = [];
  private bytes = 0;
  private offset = 0;
  private behind = false;
  private flushing = false;
  private closed = false;
  private readonly watcher: FdWatcher;

  /** A sink on `fd`; `onBehind` hears when it falls behind (true) and catches up (false). */
  constructor(
    private readonly fd: number,
    private readonly onBehind: (behind: boolean) => void,
  ) {
    this.watcher = new FdWatcher(fd);
  }

  /** Records waiting for the kernel. */
  get pendingItems(): number {
    return this.queue.length;
  }

  /** Writes one state's records; throws ENOBUFS when the queue is at its bound (the records are dropped). */
  write(records: Buffer): void {
    if (this.closed) return;
    if (this.queue.length === 0) {
      const n = this.tryWrite(records, 0);
      if (n === records.length) return;
      this.offset = n;
    } else if (this.bytes + records.length > MAX_BYTES || this.queue.length >= MAX_ITEMS) {
      throw new ErrnoError('ENOBUFS', `the input sink is ${this.bytes} bytes behind; events dropped`);
    }
    this.queue.push(Buffer.from(records)); // the caller's buffer is reused
    this.bytes += records.length;
    if (!this.behind && (this.bytes >= HIGH_BYTES || this.queue.length >= HIGH_ITEMS)) this.set(true);
    void this.flush();
  }

  /** Stops writing; what waits is dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.bytes = 0;
    this.watcher.close();
    if (this.behind) this.set(false);
  }

  /** Bytes the kernel took of `data` from `offset` (0 when it is full); throws on other errors. */
  private tryWrite(data: Buffer, offset: number): number {
    try {
      return writeSync(this.fd, data, offset, data.length - offset);
    } catch (err) {
      if (isRetry(err)) return 0;
      throw err;
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const head = this.queue[0] as Buffer;
        const n = this.tryWrite(head, this.offset);
        if (n === 0) {
          await this.watcher.writable();
          continue;
        }
        this.offset += n;
        if (this.offset < head.length) continue;
        this.queue.shift();
        this.bytes -= head.length;
        this.offset = 0;
        if (this.behind && this.bytes <= LOW_BYTES && this.queue.length <= LOW_ITEMS) this.set(false);
      }
    } catch {
      // The device failed (removed): drop what waits, as a failed emit drops its events.
      this.queue.length = 0;
      this.bytes = 0;
      if (this.behind) this.set(false);
    } finally {
      this.flushing = false;
    }
  }

  private set(behind: boolean): void {
    this.behind = behind;
    this.onBehind(behind);
  }
}
