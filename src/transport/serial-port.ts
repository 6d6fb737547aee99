import { LinuxBinding, type LinuxPortBinding } from '@serialport/bindings-cpp';
import { ErrnoError, isRetry } from '../platform/errno.js';
import { READABLE, WRITABLE } from '../platform/fd-watcher.js';
import { PausablePort } from './pausable-port.js';
import { DELIVERY_SIZE, readAvailable } from './read-available.js';
import type { Port } from './port.js';
import { WriteQueue } from './write-queue.js';

/** Options of a {@link SerialPortPort}. */
export interface SerialPortPortOptions {
  /** Line speed; irrelevant on ptys and virtual UARTs. */
  baudRate?: number;
  /** Lend the reads rather than copy them (see Port.lendsReads). */
  lendReads?: boolean;
}

/** System error names of the strerror() texts the serialport binding puts in its messages. */
const STRERROR_CODES: ReadonlyArray<[RegExp, string]> = [
  [/No such file or directory/i, 'ENOENT'],
  [/Permission denied/i, 'EACCES'],
  [/Device or resource busy/i, 'EBUSY'],
  [/Cannot lock port|Resource temporarily unavailable/i, 'EBUSY'],
  [/Input\/output error/i, 'EIO'],
  [/No such device/i, 'ENODEV'],
  [/hung up/i, 'EIO'],
  [/bad file descriptor/i, 'EBADF'],
  [/Inappropriate ioctl/i, 'ENOTTY'],
];

/** Gives a serialport error the `code` of the system error its message names, when it has none. */
function withCode(err: Error): NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException;
  if (e.code === undefined) {
    const code = STRERROR_CODES.find(([re]) => re.test(err.message))?.[1];
    if (code) e.code = code;
  }
  return e;
}

/**
 * A Port on a tty or pty through the serialport package's Linux binding, in raw 8-bit mode. The
 * binding alone (not @serialport/stream's stream around it, which this port never made flow):
 * it opens, sets the line and closes; reads and writes are this port's own.
 */
export class SerialPortPort extends PausablePort implements Port {
  private sp: LinuxPortBinding | undefined;
  private opening = false;
  private abortOpen = false;
  /** Writes waiting for the tty to take them. */
  private readonly writes = new WriteQueue();
  /** Sets the poller's mask to what is wanted now; set while open. */
  private arm: (() => void) | undefined;

  readonly lendsReads: boolean;

  /** A port on the tty at `path`, opened by open(). */
  constructor(
    readonly name: string,
    private readonly options: SerialPortPortOptions = {},
  ) {
    super();
    this.lendsReads = options.lendReads === true;
  }

  get isOpen(): boolean {
    return this.sp !== undefined;
  }

  /** Arms the reader a pause left unarmed. */
  protected resumed(): void {
    this.arm?.();
  }

  get devicePath(): string {
    return this.name;
  }

  async open(): Promise<void> {
    if (this.sp || this.opening) throw new ErrnoError('EBUSY', `${this.name} is already open`);
    this.opening = true;
    this.abortOpen = false;
    // serialport sets iflag=IGNPAR (no ICRNL/IXON/ISTRIP), oflag=0, lflag=0 (no echo), CS8, no
    // parity, VMIN=1/VTIME=0, and flushes pending input. hupcl off: closing does not hang up.
    let sp: LinuxPortBinding;
    try {
      sp = await LinuxBinding.open({
        path: this.name,
        baudRate: this.options.baudRate ?? 115200,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        rtscts: false,
        xon: false,
        xoff: false,
        xany: false,
        hupcl: false,
      });
    } catch (err) {
      throw withCode(err as Error);
    } finally {
      this.opening = false;
    }
    if (this.abortOpen) {
      await this.shut(sp);
      throw new ErrnoError('ECANCELED', `${this.name} was closed while opening`);
    }
    this.sp = sp;
    this.startReading(sp);
  }

  write(data: Buffer): Promise<void> {
    return this.writev([data]);
  }

  /**
   * Writes with writev(2) on the non-blocking descriptor, in place: serialport's own write runs on
   * libuv's thread pool, one wake-up per buffer. What the tty does not take at once is written
   * from the poller's writable callback.
   */
  writev(buffers: readonly Buffer[]): Promise<void> {
    const sp = this.sp;
    const fd = sp?.fd;
    if (!sp || fd == null) return Promise.reject(new ErrnoError('EBADF', `${this.name} is not open`));
    const wasEmpty = this.writes.empty;
    const written = this.writes.add(buffers);
    if (wasEmpty) this.flushWrites(sp, fd);
    return written;
  }

  async close(): Promise<void> {
    if (this.opening) this.abortOpen = true;
    const sp = this.sp;
    if (!sp) return;
    this.sp = undefined;
    this.writes.fail(new ErrnoError('ECANCELED', `${this.name} was closed`));
    await this.shut(sp);
  }

  /** Writes what waits; arms the poller for writability when the tty is full. */
  private flushWrites(sp: LinuxPortBinding, fd: number): void {
    try {
      this.writes.flush(fd);
    } catch (err) {
      this.lost(sp, err as Error);
      return;
    }
    this.arm?.();
  }

  /**
   * Reads the tty itself instead of through the binding's read(): read(2) on
   * the non-blocking descriptor right in the poller's callback, into one reused buffer, until the
   * tty has nothing more or the buffer is full. serialport reads on libuv's thread pool, whose
   * wake-ups put a millisecond-scale tail on every message, and allocates a promise chain per read.
   * A 0-byte read or EIO is a hang-up (pty master closed); serialport's own reader would spin on the
   * former. The event loop runs between readinesses. While paused the poller is left unarmed for
   * reading (the kernel buffer fills) until resume().
   *
   * The native poller re-arms, after each event, every event it was ever asked for except the one
   * that fired, so the mask is set explicitly after each event: readable unless paused, writable
   * while writes wait.
   */
  private startReading(sp: LinuxPortBinding): void {
    const scratch = Buffer.allocUnsafe(DELIVERY_SIZE);
    const poller = sp.poller;
    /** The mask last set; -1 after an event, when the native side changed it. */
    let armed = -1;
    const arm = (): void => {
      if (this.sp !== sp) return;
      const mask = (this.isPaused ? 0 : READABLE) | (this.writes.empty ? 0 : WRITABLE);
      if (mask !== armed) poller.poller.poll(mask);
      armed = mask;
    };
    this.arm = arm;
    const stop = (err?: Error): void => {
      if (this.arm === arm) this.arm = undefined;
      poller.off('readable', onReadable);
      poller.off('writable', onWritable);
      if (err) this.lost(sp, withCode(err));
    };
    const onWritable = (err: Error | null): void => {
      if (this.sp !== sp || sp.fd === null || err) return; // onReadable handles errors
      armed = -1;
      this.flushWrites(sp, sp.fd);
    };
    const onReadable = (err: Error | null): void => {
      // Cancelled: the port is closing. Another error: the poller failed (hang-up, broken descriptor).
      if (this.sp !== sp || sp.fd === null) return stop();
      if (err) return stop((err as { canceled?: boolean }).canceled ? undefined : err);
      armed = -1;
      if (this.isPaused) return arm(); // armed before pause(): read nothing until resume()
      let n: number;
      try {
        n = readAvailable(sp.fd, scratch);
      } catch (e) {
        if (isRetry(e)) return arm();
        return stop(e as Error);
      }
      if (n === 0) return stop(Object.assign(new Error(`${this.name} hung up (read returned 0)`), { code: 'EIO' }));
      arm();
      // The buffer is reused: lent (see Port.lendsReads), or a copy consumers may keep.
      this.emit('data', this.lendsReads ? scratch.subarray(0, n) : Buffer.from(scratch.subarray(0, n)));
    };
    poller.on('readable', onReadable);
    poller.on('writable', onWritable);
    arm();
  }

  /** Closes the binding, ignoring errors (it may already be closed). */
  private async shut(sp: LinuxPortBinding): Promise<void> {
    if (sp.isOpen) await sp.close().catch(() => undefined);
  }

  /** The port failed by itself: drop it and emit `close` with the error. */
  private lost(sp: LinuxPortBinding, err: Error): void {
    if (this.sp !== sp) return;
    this.sp = undefined;
    this.writes.fail(withCode(err));
    void this.shut(sp).then(() => this.emit('close', withCode(err)));
  }
}
