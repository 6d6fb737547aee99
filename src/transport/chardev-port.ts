import fs from 'node:fs';
import { Backoff } from './backoff.js';
import { DELIVERY_SIZE, readAvailable } from './read-available.js';
import type { EdgeWatcher } from '../platform/edge-watcher.js';
import { FdWatcher } from '../platform/fd-watcher.js';
import { loadLibc } from '../platform/load-libc.js';
import { ErrnoError, isRetry } from '../platform/errno.js';
import { PausablePort } from './pausable-port.js';
import type { Port } from './port.js';
import { type FlushResult, WriteQueue } from './write-queue.js';

const O_CLOEXEC = 0o2000000; // Linux; not in fs.constants (libuv adds it anyway)
const OPEN_FLAGS =
  fs.constants.O_RDWR | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY | O_CLOEXEC;
/**
 * Back-off while the host side is absent (reads return 0 bytes, or poll wakes up without data),
 * used only for a descriptor epoll cannot watch edge-triggered.
 */
const idleBackoff = (): Backoff => new Backoff({ initialMs: 100, maxMs: 2000, factor: 2 });

/** One open descriptor: everything close() has to stop. */
interface Session {
  readonly fd: number;
  readonly ownsFd: boolean;
  readonly watcher: FdWatcher;
  readonly writes: WriteQueue;
  readonly sleeps: Set<() => void>;
  closed: boolean;
  writing: boolean;
  /** Wake-ups of the port while the host is absent: made at the first need; null where epoll refuses the descriptor. */
  edges: Promise<EdgeWatcher | null> | undefined;
}

/** A Port on a character device that is not a tty (virtio-serial), or on any non-blocking fd. */
export class CharDevicePort extends PausablePort implements Port {
  private session: Session | undefined;
  private opening = false;
  private abortOpen = false;
  private closing: Promise<void> | undefined;
  private borrowedFd: number | undefined;
  /** Read loops waiting for resume(). */
  private readonly resumers = new Set<() => void>();

  readonly lendsReads: boolean;

  /** A port on the device at `path` (named `name` in logs), opened by open(); with `lendReads` it lends its reads rather than copy them. */
  constructor(
    private readonly path: string,
    readonly name: string = path,
    options: { lendReads?: boolean } = {},
  ) {
    super();
    this.lendsReads = options.lendReads === true;
  }

  /** A port on an already-open non-blocking fd: open() starts using it, close() leaves it open. */
  static fromFd(fd: number, name: string): CharDevicePort {
    const port = new CharDevicePort(`fd ${fd}`, name);
    port.borrowedFd = fd;
    return port;
  }

  get isOpen(): boolean {
    return this.session !== undefined;
  }

  get devicePath(): string | undefined {
    return this.borrowedFd === undefined ? this.path : undefined;
  }

  /** Wakes the read loops waiting in unpaused(). */
  protected resumed(): void {
    for (const wake of [...this.resumers]) wake();
  }

  async open(): Promise<void> {
    if (this.session || this.opening) throw new ErrnoError('EBUSY', `${this.name} is already open`);
    this.opening = true;
    this.abortOpen = false;
    try {
      await this.closing;
      if (this.borrowedFd !== undefined) return this.start(this.borrowedFd, false);
      const fd = await new Promise<number>((resolve, reject) =>
        fs.open(this.path, OPEN_FLAGS, (err, fd) => (err ? reject(err) : resolve(fd))),
      );
      if (this.abortOpen) {
        fs.closeSync(fd);
        throw new ErrnoError('ECANCELED', `${this.name} was closed while opening`);
      }
      try {
        this.start(fd, true);
      } catch (err) {
        fs.closeSync(fd);
        throw err;
      }
    } finally {
      this.opening = false;
    }
  }

  write(data: Buffer): Promise<void> {
    return this.writev([data]);
  }

  /** Writes with writev(2) in place; what the kernel does not take at once waits for writability. */
  writev(buffers: readonly Buffer[]): Promise<void> {
    const s = this.session;
    if (!s) return Promise.reject(new ErrnoError('EBADF', `${this.name} is not open`));
    const wasEmpty = s.writes.empty;
    const written = s.writes.add(buffers);
    if (wasEmpty) void this.writeLoop(s);
    return written;
  }

  async close(): Promise<void> {
    if (this.opening) this.abortOpen = true;
    const s = this.session;
    if (s) await this.shutdown(s, new ErrnoError('ECANCELED', `${this.name} was closed`));
    else await this.closing;
  }

  private start(fd: number, ownsFd: boolean): void {
    const watcher = new FdWatcher(fd);
    const s: Session = {
      fd,
      ownsFd,
      watcher,
      writes: new WriteQueue(),
      sleeps: new Set(),
      closed: false,
      writing: false,
      edges: undefined,
    };
    this.session = s;
    this.readLoop(s).catch((err: unknown) => {
      // A 'data' listener threw: surface it like a stream would, as an uncaught exception.
      process.nextTick(() => {
        throw err;
      });
    });
  }

  private sleep(s: Session, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        s.sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      s.sleeps.add(wake);
    });
  }

  /** Waits while paused, with the poller unarmed for reading; false when the port closed meanwhile. */
  private async unpaused(s: Session): Promise<boolean> {
    while (this.isPaused && !s.closed) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.resumers.delete(wake);
          s.sleeps.delete(wake);
          resolve();
        };
        this.resumers.add(wake);
        s.sleeps.add(wake);
      });
    }
    return !s.closed;
  }

  /**
   * Waits `delayMs` with the poller unarmed (epoll reports HUP all along while the host is
   * absent), then for readiness. False when the port closed meanwhile or poll failed.
   */
  private async ready(s: Session, which: 'readable' | 'writable', delayMs: number): Promise<boolean> {
    if (delayMs > 0) await this.sleep(s, delayMs);
    try {
      if (!s.closed) await s.watcher[which]();
    } catch (err) {
      this.fail(s, err as Error);
    }
    return !s.closed;
  }

  /**
   * Waits while the host side is absent: until the port's next wake-up (the host opening or
   * closing its side, data, room to write), else, where epoll refuses the descriptor, for the
   * back-off delay and readiness. False when the port closed meanwhile.
   */
  private async hostBack(s: Session, which: 'readable' | 'writable', backoff: Backoff): Promise<boolean> {
    s.edges ??= loadLibc().then(
      async (libc) => {
        const { EdgeWatcher } = await import('../platform/edge-watcher.js');
        return s.closed ? null : new EdgeWatcher(s.fd, libc);
      },
      () => null,
    ).catch(() => null);
    const edges = await s.edges;
    if (!edges) return this.ready(s, which, backoff.next());
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        s.sleeps.delete(wake);
        resolve();
      };
      s.sleeps.add(wake);
      void edges.next().then(wake);
    });
    return !s.closed;
  }

  /**
   * Reads with read(2) in place (the descriptor is non-blocking), never on libuv's thread pool,
   * whose wake-ups added a millisecond-scale tail to each message: everything available, up to
   * the reused buffer's size, per readiness; then it waits for readiness again, so the event loop
   * runs between readinesses.
   */
  private async readLoop(s: Session): Promise<void> {
    const scratch = Buffer.allocUnsafe(DELIVERY_SIZE);
    const backoff = idleBackoff();
    let woken = false;
    /** Whether the host sent anything since the port opened. */
    let heard = false;
    // The first read waits for readiness too: open() returns before any data is emitted.
    if (!(await this.ready(s, 'readable', 0))) return;
    while (!s.closed) {
      if (this.isPaused && !(await this.unpaused(s))) return;
      let n: number;
      try {
        n = readAvailable(s.fd, scratch);
      } catch (err) {
        if (s.closed) return;
        const retry = isRetry(err);
        if (retry === 'intr') continue;
        if (retry !== 'again') return this.fail(s, err as Error);
        // Woken up yet nothing to read: a persistent poll condition (HUP); wait for a change.
        if (!(await (woken ? this.hostBack(s, 'readable', backoff) : this.ready(s, 'readable', 0)))) return;
        woken = true;
        continue;
      }
      if (s.closed) return;
      if (n === 0) {
        // The host closed its side after speaking: spice-server attaches an agent again only when
        // the guest opens the port anew (as spice-vdagentd does on 0 bytes once it has read).
        if (heard) return this.fail(s, new ErrnoError('ECONNRESET', `the host closed its side of ${this.name}`));
        // The host side is not connected yet (not end of file): keep the fd, read again when it comes.
        if (!(await this.hostBack(s, 'readable', backoff))) return;
        woken = false; // a host that just connected gives EAGAIN: wait for data without delay
        continue;
      }
      woken = false;
      heard = true;
      backoff.reset();
      // The scratch buffer is reused: lent (see Port.lendsReads), or a copy consumers may keep.
      this.emit('data', this.lendsReads ? scratch.subarray(0, n) : Buffer.from(scratch.subarray(0, n)));
      if (!(await this.ready(s, 'readable', 0))) return;
    }
  }

  /** Writes in place, like reads; waits for the poller only when the kernel is full. */
  private async writeLoop(s: Session): Promise<void> {
    if (s.writing) return;
    s.writing = true;
    const backoff = idleBackoff();
    let woken = false;
    try {
      while (!s.closed) {
        let flushed: FlushResult;
        try {
          flushed = s.writes.flush(s.fd);
        } catch (err) {
          if (!s.closed) this.fail(s, err as Error);
          return;
        }
        if (flushed === 'done' || s.closed) return;
        if (flushed === 'full') {
          woken = false;
          backoff.reset();
        }
        // Nothing taken right after a writable wake-up: the host is absent (HUP wakes us); wait for it.
        if (!(await (woken ? this.hostBack(s, 'writable', backoff) : this.ready(s, 'writable', 0)))) return;
        woken = true;
      }
    } finally {
      s.writing = false;
    }
  }

  /** The port failed by itself: close it and emit `close` with the error. */
  private fail(s: Session, err: Error): void {
    if (s.closed) return;
    void this.shutdown(s, err).then(() => this.emit('close', err));
  }

  private shutdown(s: Session, err: Error): Promise<void> {
    s.closed = true;
    if (this.session === s) this.session = undefined;
    s.watcher.close();
    void s.edges?.then((edges) => edges?.close());
    for (const wake of [...s.sleeps]) wake();
    s.writes.fail(err);
    // Reads and writes are synchronous: none is in flight, the descriptor may close now.
    const closing = s.ownsFd ? new Promise<void>((resolve) => fs.close(s.fd, () => resolve())) : Promise.resolve();
    this.closing = closing;
    return closing;
  }
}
