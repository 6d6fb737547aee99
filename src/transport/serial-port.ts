import fs from 'node:fs';
import type { LinuxPortBinding } from '@serialport/bindings-cpp';
import { LinuxBinding } from '@serialport/bindings-cpp';
import { SerialPortStream as SerialPort } from '@serialport/stream';
import { ErrnoError, isRetry } from '../platform/errno.js';
import { READABLE } from '../platform/fd-watcher.js';
import { PausablePort } from './pausable-port.js';
import type { Port } from './port.js';

/** Options of a {@link SerialPortPort}. */
export interface SerialPortPortOptions {
  /** Line speed; irrelevant on ptys and virtual UARTs. */
  baudRate?: number;
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

/** Bytes asked of read(2) at a time. */
const READ_SIZE = 64 * 1024;

/** A Port on a tty or pty through the serialport package, in raw 8-bit mode. */
export class SerialPortPort extends PausablePort implements Port {
  private sp: SerialPort<typeof LinuxBinding> | undefined;
  private opening = false;
  private abortOpen = false;
  /** Arms the reader again; set while a pause left it unarmed. */
  private rearm: (() => void) | undefined;

  /** A port on the tty at `path`, opened by open(). */
  constructor(
    readonly name: string,
    private readonly options: SerialPortPortOptions = {},
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.sp !== undefined;
  }

  /** Arms the reader a pause left unarmed. */
  protected resumed(): void {
    const rearm = this.rearm;
    this.rearm = undefined;
    rearm?.();
  }

  async open(): Promise<void> {
    if (this.sp || this.opening) throw new ErrnoError('EBUSY', `${this.name} is already open`);
    this.opening = true;
    this.abortOpen = false;
    // serialport sets iflag=IGNPAR (no ICRNL/IXON/ISTRIP), oflag=0, lflag=0 (no echo), CS8, no
    // parity, VMIN=1/VTIME=0, and flushes pending input. hupcl off: closing does not hang up.
    const sp = new SerialPort({
      binding: LinuxBinding,
      path: this.name,
      baudRate: this.options.baudRate ?? 115200,
      autoOpen: false,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: false,
    });
    sp.on('error', (err: Error) => this.lost(sp, err));
    try {
      await new Promise<void>((resolve, reject) =>
        sp.open((err) => (err ? reject(withCode(err)) : resolve())),
      );
    } catch (err) {
      sp.destroy();
      throw err;
    } finally {
      this.opening = false;
    }
    if (this.abortOpen) {
      await this.shut(sp);
      throw new ErrnoError('ECANCELED', `${this.name} was closed while opening`);
    }
    this.sp = sp;
    sp.on('close', (err: Error | null) => this.lost(sp, err ?? new Error(`${this.name} closed`)));
    this.startReading(sp, sp.port as LinuxPortBinding);
  }

  write(data: Buffer): Promise<void> {
    const sp = this.sp;
    if (!sp) return Promise.reject(new ErrnoError('EBADF', `${this.name} is not open`));
    return new Promise((resolve, reject) =>
      sp.write(data, (err) => (err ? reject(withCode(err)) : resolve())),
    );
  }

  async close(): Promise<void> {
    if (this.opening) this.abortOpen = true;
    const sp = this.sp;
    if (!sp) return;
    this.sp = undefined;
    await this.shut(sp);
  }

  /**
   * Reads the tty itself instead of through the stream (which is never made to flow): read(2) on
   * the non-blocking descriptor right in the poller's callback. serialport reads on libuv's thread
   * pool, whose wake-ups put a millisecond-scale tail on every message, and allocates a promise
   * chain per read. A 0-byte read or EIO is a hang-up (pty master closed); serialport's own reader
   * would spin on the former. The event loop runs between reads. While paused the poller is left
   * unarmed for reading (the kernel buffer fills) until resume().
   */
  private startReading(sp: SerialPort<typeof LinuxBinding>, binding: LinuxPortBinding): void {
    const scratch = Buffer.allocUnsafe(READ_SIZE);
    const poller = binding.poller;
    const arm = (): void => {
      if (this.sp !== sp) return;
      if (this.isPaused) this.rearm = arm;
      else poller.poller.poll(READABLE);
    };
    const stop = (err?: Error): void => {
      if (this.rearm === arm) this.rearm = undefined;
      poller.off('readable', onReadable);
      if (err) this.lost(sp, withCode(err));
    };
    const onReadable = (err: Error | null): void => {
      // Cancelled: the port is closing. Another error: the poller failed (hang-up, broken descriptor).
      if (this.sp !== sp || binding.fd === null) return stop();
      if (err) return stop((err as { canceled?: boolean }).canceled ? undefined : err);
      if (this.isPaused) return arm(); // armed before pause(): read nothing until resume()
      let n: number;
      try {
        n = fs.readSync(binding.fd, scratch, 0, scratch.length, null);
      } catch (e) {
        if (isRetry(e)) return arm();
        return stop(e as Error);
      }
      if (n === 0) return stop(Object.assign(new Error(`${this.name} hung up (read returned 0)`), { code: 'EIO' }));
      arm();
      // A copy: the scratch buffer is reused, consumers may keep what they are given.
      this.emit('data', Buffer.from(scratch.subarray(0, n)));
    };
    poller.on('readable', onReadable);
    arm();
  }

  /** Closes the serialport stream, ignoring errors (it may already be closed). */
  private async shut(sp: SerialPort<typeof LinuxBinding>): Promise<void> {
    if (sp.isOpen) await new Promise<void>((resolve) => sp.close(() => resolve()));
    sp.destroy();
  }

  /** The stream failed or closed by itself: drop it and emit `close` with the error. */
  private lost(sp: SerialPort<typeof LinuxBinding>, err: Error): void {
    if (this.sp !== sp) return;
    this.sp = undefined;
    void this.shut(sp).then(() => this.emit('close', withCode(err)));
  }
}
