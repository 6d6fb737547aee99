import { connect, type Socket } from 'node:net';
import { isDistrust, walkPath } from '../platform/trusted-path.js';
import { ErrnoError } from '../platform/errno.js';
import { PausablePort } from './pausable-port.js';
import type { Port } from './port.js';
import { DELIVERY_SIZE } from './read-available.js';

/**
 * A Port on a UNIX stream socket a host listens on (QEMU's `-chardev socket,server=on`): a
 * transport without a tty's 4 KiB line-discipline buffer. libuv reads it into one reused 64 KiB
 * buffer (one read per readiness, the descriptor kept in epoll) and the port hands on a copy, or
 * with `lendReads` the buffer itself (see Port.lendsReads: no 64 KiB of garbage per read);
 * pause() stops reading, so the host's writes block.
 * The host closing its side, or an error, ends the port (`close` with the error).
 */
export class UnixSocketPort extends PausablePort implements Port {
  private socket: Socket | undefined;
  private opening = false;
  private given: Socket | undefined;
  readonly lendsReads: boolean;

  /** A port on the socket at `path`, connected by open(); with `lendReads` it lends its reads rather than copy them. */
  constructor(
    readonly name: string,
    options: { lendReads?: boolean } = {},
  ) {
    super();
    this.lendsReads = options.lendReads === true;
  }

  /** A port on a socket already connected (the host's end of an accepted connection): open() starts using it. */
  static fromSocket(socket: Socket, name: string): UnixSocketPort {
    const port = new UnixSocketPort(name);
    port.given = socket;
    return port;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  get devicePath(): string {
    return this.name;
  }

  async open(): Promise<void> {
    if (this.socket || this.opening) throw new ErrnoError('EBUSY', `${this.name} is already open`);
    if (this.given) {
      this.start(this.given, true);
      this.given = undefined;
      return;
    }
    if (process.getuid?.() === 0) {
      // A root daemon connects only to a socket no unprivileged user could have put or re-pointed there.
      const walked = walkPath(this.name, { check: true });
      if (isDistrust(walked)) throw new ErrnoError('EACCES', `${this.name}: not trusted: ${walked.reason}`);
    }
    this.opening = true;
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        // Read into one reused buffer, handing on what arrived (lent, or copied as the other ports
        // do), rather than a new 64 KiB buffer per read.
        const scratch = Buffer.allocUnsafe(DELIVERY_SIZE);
        const lend = this.lendsReads;
        const onread = {
          buffer: scratch,
          callback: (n: number): boolean => {
            this.emit('data', lend ? scratch.subarray(0, n) : Buffer.from(scratch.subarray(0, n)));
            return true; // keep reading: pause() stops the socket itself
          },
        };
        const s = connect({ path: this.name, allowHalfOpen: false, onread });
        s.once('error', reject);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
      });
      this.start(socket, false);
    } finally {
      this.opening = false;
    }
  }

  write(data: Buffer): Promise<void> {
    return this.writev([data]);
  }

  /** Writes the buffers corked, so libuv hands them to one writev(2); resolves once the kernel took them all. */
  writev(buffers: readonly Buffer[]): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new ErrnoError('EBADF', `${this.name} is not open`));
    const parts = buffers.filter((b) => b.length > 0);
    if (parts.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      socket.cork();
      parts.forEach((b, i) => socket.write(b, i === parts.length - 1 ? (err) => (err ? reject(err) : resolve()) : undefined));
      socket.uncork();
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy(new ErrnoError('ECANCELED', `${this.name} was closed`));
    });
  }

  /** Stops reading: libuv stops once Node's stream buffer (bounded) holds what came meanwhile. */
  override pause(): void {
    super.pause();
    this.socket?.pause();
  }

  /** Reads again after pause(). */
  protected resumed(): void {
    this.socket?.resume();
  }

  /** Starts using an open socket; `streamed`: it emits `data` (one made elsewhere) rather than reading into the port's buffer. */
  private start(socket: Socket, streamed: boolean): void {
    this.socket = socket;
    let failure: Error | undefined;
    socket.on('error', (err) => (failure = err));
    if (streamed) socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.emit('close', failure ?? new ErrnoError('ECONNRESET', `the host closed its side of ${this.name}`));
    });
    if (this.isPaused) socket.pause();
  }
}
