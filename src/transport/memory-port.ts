import { ErrnoError } from '../platform/errno.js';
import { PausablePort } from './pausable-port.js';
import type { Port } from './port.js';

/** One end of an in-memory port pair: what one side writes, the other receives asynchronously. */
export class MemoryPort extends PausablePort implements Port {
  private peer: MemoryPort | undefined;
  private opened = false;
  /** Incremented whenever this side closes, so bytes in flight to an older session are dropped. */
  private session = 0;
  /** What arrived while paused, delivered on resume; a writer waits until its bytes are delivered. */
  private readonly held: { chunk: Buffer; session: number; delivered?: () => void }[] = [];

  /** A side named `name`; use createMemoryPortPair() to get a connected pair. */
  constructor(readonly name: string) {
    super();
  }

  /** Connects two sides (done by createMemoryPortPair()). */
  static connect(a: MemoryPort, b: MemoryPort): void {
    a.peer = b;
    b.peer = a;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Delivers what arrived while paused, until a delivery pauses this side again. */
  protected resumed(): void {
    while (!this.isPaused && this.held.length > 0) {
      const h = this.held.shift() as (typeof this.held)[number];
      this.deliver(h.chunk, h.session);
      h.delivered?.();
    }
  }

  async open(): Promise<void> {
    if (this.opened) throw new ErrnoError('EBUSY', `${this.name} is already open`);
    this.opened = true;
  }

  async write(data: Buffer): Promise<void> {
    if (!this.opened) throw new ErrnoError('EBADF', `${this.name} is not open`);
    const peer = this.peer;
    if (!peer || data.length === 0) return;
    const chunk = Buffer.from(data); // the caller may reuse its buffer
    const session = peer.session;
    // A paused peer takes nothing: the writer waits, as on a full kernel buffer.
    if (peer.isPaused) return new Promise((resolve) => peer.held.push({ chunk, session, delivered: resolve }));
    setImmediate(() => peer.deliver(chunk, session));
  }

  writev(buffers: readonly Buffer[]): Promise<void> {
    return this.write(Buffer.concat(buffers));
  }

  async close(): Promise<void> {
    this.shut();
  }

  /** Breaks the link as an I/O error would: the other side closes and emits `close` with `err`. */
  hangUp(err: Error = new ErrnoError('EIO', 'peer hung up')): void {
    const peer = this.peer;
    if (!peer?.opened) return;
    peer.shut();
    setImmediate(() => peer.emit('close', err));
  }

  private shut(): void {
    if (!this.opened) return;
    this.opened = false;
    this.session++;
    // Held bytes belong to the old session: dropped, their writers released.
    for (const h of this.held.splice(0)) h.delivered?.();
  }

  /** Bytes for a side that is not open (or was reopened since they were sent) are discarded; held while paused. */
  private deliver(chunk: Buffer, session: number): void {
    if (this.isPaused) this.held.push({ chunk, session });
    else if (this.opened && this.session === session) this.emit('data', chunk);
  }
}

/** Two connected in-memory ports, both closed, like node-serialport's MockBinding. */
export function createMemoryPortPair(names: [string, string] = ['memory-a', 'memory-b']): [MemoryPort, MemoryPort] {
  const a = new MemoryPort(names[0]);
  const b = new MemoryPort(names[1]);
  MemoryPort.connect(a, b);
  return [a, b];
}
