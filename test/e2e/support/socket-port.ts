import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Port, PortEvents } from '../../../src/transport/port.js';

/** The host end of a QEMU `-chardev socket,server=on` as a Port: what the simulator talks on. */
export class SocketPort extends EventEmitter<PortEvents> implements Port {
  private socket: Socket | undefined;
  private closing = false;
  private paused = false;

  /** A port on the UNIX socket at `path` (QEMU's side), opened by open(). */
  constructor(
    private readonly path: string,
    readonly name: string = path,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  /** Connects, waiting up to `waitMs` for QEMU to create the socket and listen on it. */
  async open(waitMs = 30_000): Promise<void> {
    const start = Date.now();
    let socket: Socket | undefined;
    while (!socket) {
      socket = await new Promise<Socket | undefined>((resolve, reject) => {
        if (!existsSync(this.path)) return resolve(undefined);
        const s = connect(this.path);
        s.once('connect', () => resolve(s));
        s.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? resolve(undefined) : reject(err)));
      });
      if (socket) break;
      if (Date.now() - start > waitMs) throw Object.assign(new Error(`nothing listens on ${this.path}`), { code: 'ECONNREFUSED' });
      await new Promise((r) => setTimeout(r, 50));
    }
    this.closing = false;
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    if (this.paused) socket.pause();
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.socket = undefined;
      if (!this.closing) this.emit('close', undefined);
    });
  }

  write(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(Object.assign(new Error(`${this.name} is not open`), { code: 'EBADF' }));
    return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  writev(buffers: readonly Buffer[]): Promise<void> {
    return this.write(Buffer.concat(buffers));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      socket.destroySoon();
    });
  }
}
