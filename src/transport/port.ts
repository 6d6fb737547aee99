import type { EventEmitter } from 'node:events';

/** Events of a byte port. */
export interface PortEvents {
  /** Bytes received from the host. */
  data: [chunk: Buffer];
  /** The port closed by itself (I/O error, hang-up); `close()` does not emit it. */
  close: [err: Error | undefined];
}

/**
 * A byte port to the host: a tty/pty (through serialport), a virtio-serial character device, or
 * an in-memory pipe. Opening may fail (EBUSY, ENOENT); the owner reopens with back-off.
 */
export interface Port extends EventEmitter<PortEvents> {
  /** What the port is, for logs (a path, or a name). */
  readonly name: string;
  /**
   * Whether a `data` chunk is a view of the port's read buffer, valid only while the event is
   * handled (the next read reuses it): a consumer copies what it keeps. Otherwise (absent or
   * false) each chunk is the consumer's to keep.
   */
  readonly lendsReads?: boolean;
  /** The device node it opens, when it opens one by path: its appearing is worth a reopen at once. */
  readonly devicePath?: string;
  /** Opens the port; rejects with the system error. */
  open(): Promise<void>;
  /** Writes all bytes; resolves once the kernel took them (queues on EAGAIN, never drops), when the caller may reuse the buffer. */
  write(data: Buffer): Promise<void>;
  /** Writes the buffers in order as one write (one writev(2) as far as the kernel takes them); resolves once all were taken. */
  writev(buffers: readonly Buffer[]): Promise<void>;
  /**
   * Stops reading: no `data` is emitted and the port is not read, so the kernel's buffer fills and
   * the host's writes block, as they would on an agent blocked in write(2). Lasts across reopens.
   */
  pause(): void;
  /** Reads again after pause(). */
  resume(): void;
  /** Whether reading is paused. */
  readonly isPaused: boolean;
  /** Closes the port; pending writes reject. */
  close(): Promise<void>;
  /** Whether the port is open. */
  readonly isOpen: boolean;
}
