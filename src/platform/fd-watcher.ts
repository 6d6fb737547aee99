import { LinuxPortBinding } from '@serialport/bindings-cpp';

/** serialport's poller: one uv_poll handle on a descriptor, emitting 'readable' and 'writable'. */
export type Poller = LinuxPortBinding['poller'];

/** The poller's readable flag (serialport's EVENTS.UV_READABLE). */
export const READABLE = 1;
/** The poller's writable flag (serialport's EVENTS.UV_WRITABLE). */
export const WRITABLE = 2;

/**
 * A poller on `fd`, through the package's public class: LinuxPortBinding's constructor only stores
 * the descriptor and its options and creates the poller; the binding itself is never used (its
 * close() would close the descriptor). Throws EPERM for a descriptor that cannot be polled.
 */
export function pollerFor(fd: number): Poller {
  return new LinuxPortBinding(fd, {} as LinuxPortBinding['openOptions']).poller;
}

type Settle = (err: Error | null) => void;

function isUnpollable(err: unknown): boolean {
  // epoll_ctl refuses descriptors whose driver has no poll (e.g. /dev/null): EPERM.
  return err instanceof Error && /operation not permitted/i.test(err.message);
}

// One uv_poll handle (serialport's Poller) per descriptor, armed only while someone waits. A
// descriptor whose driver cannot be polled is treated as always ready.

/** Waits for a non-blocking descriptor to become readable or writable, without busy polling. */
export class FdWatcher {
  private readonly poller: Poller | undefined;
  private reader: Settle | undefined;
  private writer: Settle | undefined;
  private closed = false;

  constructor(fd: number) {
    // A new Poller per descriptor: its native side is never freed (it holds a strong reference
    // to its own callback), but reusing a stopped one for a new descriptor with the same number
    // would skip libuv's poll-ability check, and libuv aborts if epoll then refuses the fd.
    let poller: Poller | undefined;
    try {
      poller = pollerFor(fd);
    } catch (err) {
      if (!isUnpollable(err)) throw err;
    }
    this.poller = poller;
    poller?.on('readable', this.onReadable);
    poller?.on('writable', this.onWritable);
  }

  /** Whether readiness comes from the kernel (false: the descriptor does not support poll). */
  get pollable(): boolean {
    return this.poller !== undefined;
  }

  /** Resolves when the descriptor is readable (or hung up); rejects on a poll error. */
  readable(): Promise<void> {
    return this.wait(READABLE);
  }

  /** Resolves when the descriptor is writable (or hung up); rejects on a poll error. */
  writable(): Promise<void> {
    return this.wait(WRITABLE);
  }

  /** Stops watching (before the descriptor is closed); pending waits resolve. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { reader, writer } = this;
    this.reader = this.writer = undefined;
    if (this.poller) {
      this.poller.off('readable', this.onReadable);
      this.poller.off('writable', this.onWritable);
      this.poller.poller.stop();
    }
    reader?.(null);
    writer?.(null);
  }

  private wait(flag: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle: Settle = (err) => (err ? reject(err) : resolve());
      if (this.closed) return resolve();
      if (!this.poller) return void setImmediate(settle, null);
      if (flag === READABLE) this.reader = settle;
      else this.writer = settle;
      this.arm();
    });
  }

  /**
   * Sets the uv_poll mask to exactly what is awaited. The native poller re-arms every event it
   * was ever asked for after each callback (and replaces the mask on each poll() call), so the
   * mask is always set explicitly here rather than through Poller.once().
   */
  private arm(): void {
    if (this.closed || !this.poller) return;
    const mask = (this.reader ? READABLE : 0) | (this.writer ? WRITABLE : 0);
    this.poller.poller.poll(mask);
  }

  private readonly onReadable = (err: Error | null): void => this.onEvent(err, 'reader');
  private readonly onWritable = (err: Error | null): void => this.onEvent(err, 'writer');

  private onEvent(err: Error | null, which: 'reader' | 'writer'): void {
    if (err) return this.fail(err);
    const settle = this[which];
    this[which] = undefined;
    this.arm();
    settle?.(null);
  }

  /** After a poll error the native handle is stopped; fail every waiter. */
  private fail(cause: Error): void {
    const { reader, writer } = this;
    this.reader = this.writer = undefined;
    if (!reader && !writer) return;
    // libuv reports POLLERR (e.g. a hung-up tty) as "bad file descriptor"; say what it is.
    const message = `EIO: poll reported an error condition (${cause.message})`;
    const err = Object.assign(new Error(message), { code: 'EIO', cause });
    reader?.(err);
    writer?.(err);
  }
}
