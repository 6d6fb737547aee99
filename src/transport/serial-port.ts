import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { LinuxPortBinding } from '@serialport/bindings-cpp';
import { unixRead } from '@serialport/bindings-cpp/dist/unix-read.js';
import { LinuxBinding } from '@serialport/bindings-cpp';
import { SerialPortStream as SerialPort } from '@serialport/stream';
import type { Port, PortEvents } from './port.js';

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

type FsReadAsync = NonNullable<Parameters<typeof unixRead>[0]['fsReadAsync']>;

/** fs.read that turns a 0-byte read (a hung-up tty) into an error. */
const readOrHangUp = ((fd: number, buffer: Buffer, offset: number, length: number) =>
  new Promise((resolve, reject) =>
    fs.read(fd, buffer, offset, length, null, (err, bytesRead) => {
      if (err) reject(err);
      else if (bytesRead === 0) reject(Object.assign(new Error('tty hung up (read returned 0)'), { code: 'EIO' }));
      else resolve({ bytesRead, buffer });
    }),
  )) as unknown as FsReadAsync;

/**
 * serialport's unixRead retries a 0-byte read at once, spinning forever on a hung-up tty (pty
 * whose master closed) without reporting anything; make such a read fail instead.
 */
function failOnHangUp(binding: LinuxPortBinding): void {
  binding.read = (buffer, offset, length) =>
    unixRead({ binding, buffer, offset, length, fsReadAsync: readOrHangUp });
}

function busy(name: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EBUSY: ${name} is already open`), { code: 'EBUSY' });
}

/** A Port on a tty or pty through the serialport package, in raw 8-bit mode. */
export class SerialPortPort extends EventEmitter<PortEvents> implements Port {
  private sp: SerialPort<typeof LinuxBinding> | undefined;
  private opening = false;
  private abortOpen = false;

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

  async open(): Promise<void> {
    if (this.sp || this.opening) throw busy(this.name);
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
      throw Object.assign(new Error(`ECANCELED: ${this.name} was closed while opening`), { code: 'ECANCELED' });
    }
    this.sp = sp;
    if (sp.port && 'poller' in sp.port) failOnHangUp(sp.port as LinuxPortBinding);
    sp.on('data', (chunk: Buffer) => this.emit('data', chunk));
    sp.on('close', (err: Error | null) => this.lost(sp, err ?? new Error(`${this.name} closed`)));
    // Should a 0-byte read still end the stream (failOnHangUp not applied), it is a hang-up too.
    sp.on('end', () => this.lost(sp, Object.assign(new Error(`${this.name} hung up`), { code: 'EIO' })));
  }

  write(data: Buffer): Promise<void> {
    const sp = this.sp;
    if (!sp) return Promise.reject(Object.assign(new Error(`${this.name} is not open`), { code: 'EBADF' }));
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
