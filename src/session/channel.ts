import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import { DEFAULT_MAX_MESSAGE_SIZE, PayloadCollector } from '../protocol/index.js';
import { ErrnoError } from '../platform/errno.js';

/** Bound on a frame: the largest message (a clipboard of the default --max-message-size) and its wrapping. */
export const MAX_FRAME = DEFAULT_MAX_MESSAGE_SIZE + (1 << 20);

/** The file descriptor of the channel in the helper (after stdin, stdout and stderr). */
export const CHANNEL_FD = 3;

/** Bytes of a frame's header: the payload's length, 32-bit big-endian. */
const HEADER = 4;

/** Events of a {@link FrameChannel}. */
export interface FrameChannelEvents {
  /** One message, as the peer sent it (check it: the peer may be hostile). */
  message: [value: unknown];
  /** A frame that does not deserialize (dropped, `EBADMSG`), or one over the bound (`EMSGSIZE`: the channel is closed). */
  malformed: [err: NodeJS.ErrnoException];
  /** The stream ended or failed. */
  close: [];
}

/**
 * The daemon ↔ helper channel on the inherited socketpair: structured-clone messages (Buffers and
 * bigints kept, as with Node's 'advanced' IPC) in length-prefixed frames. Node's own IPC reads a
 * frame of any declared length (up to 4 GiB) into memory before looking at it; here a frame over
 * `maxFrame` is refused from its header, before its payload is buffered, and a frame that spans
 * reads is copied into blocks as it arrives (never kept as one Buffer per read), so a peer can make
 * the reader hold at most about 1.1 × one frame of `maxFrame` bytes, however it cuts its writes.
 */
export class FrameChannel extends EventEmitter<FrameChannelEvents> {
  /** The header being read, and how much of it arrived. */
  private readonly head = Buffer.alloc(HEADER);
  private headFilled = 0;
  /** The payload of a frame that spans reads (copied once, memory proportional to what arrived). */
  private frame: PayloadCollector | undefined;
  /** Payload bytes the frame still needs. */
  private need = 0;
  private closed = false;

  /** A channel on `socket` that accepts frames of at most `maxFrame` bytes. */
  constructor(
    private readonly socket: Duplex,
    private readonly maxFrame: number,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.shut());
    socket.on('close', () => this.shut());
  }

  /** Whether the channel still carries messages. */
  get open(): boolean {
    return !this.closed;
  }

  /**
   * Sends one message. False when the socket's buffer is past its high-water mark (the caller
   * should wait for `done`, called once the message is handed to the kernel or dropped).
   */
  send(value: unknown, done?: (err?: Error | null) => void): boolean {
    if (this.closed) {
      // Nothing is buffered for a closed channel: the message is dropped.
      if (done) process.nextTick(done, new ErrnoError('EPIPE', 'the channel is closed'));
      return true;
    }
    const payload = serialize(value);
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32BE(payload.length, 0);
    this.socket.cork();
    this.socket.write(header);
    const ok = this.socket.write(payload, done);
    this.socket.uncork();
    return ok;
  }

  /** Ends the channel (the peer sees end of stream). */
  close(): void {
    if (this.closed) return;
    this.shut();
    this.socket.end();
  }

  private receive(chunk: Buffer): void {
    let off = 0;
    while (!this.closed && off < chunk.length) {
      if (!this.frame) {
        const n = Math.min(HEADER - this.headFilled, chunk.length - off);
        chunk.copy(this.head, this.headFilled, off, off + n);
        this.headFilled += n;
        off += n;
        if (this.headFilled < HEADER) return;
        this.headFilled = 0;
        const size = this.head.readUInt32BE(0);
        if (size > this.maxFrame) {
          this.emit('malformed', new ErrnoError('EMSGSIZE', `a frame of ${size} bytes is over the bound of ${this.maxFrame}`));
          this.shut();
          this.socket.destroy();
          return;
        }
        // A frame within this chunk is read in place; one that spans chunks is collected.
        if (chunk.length - off >= size) {
          this.deliver(chunk.subarray(off, off + size));
          off += size;
          continue;
        }
        this.frame = new PayloadCollector(size);
        this.need = size;
      }
      const n = Math.min(this.need, chunk.length - off);
      this.frame.add(chunk.subarray(off, off + n));
      off += n;
      this.need -= n;
      if (this.need > 0) return;
      const payload = this.frame.take();
      this.frame = undefined;
      this.deliver(payload);
    }
  }

  /** Hands on one frame's message, or reports it malformed. */
  private deliver(payload: Buffer): void {
    let value: unknown;
    try {
      value = deserialize(payload);
    } catch (err) {
      this.emit('malformed', new ErrnoError('EBADMSG', `a frame does not deserialize: ${(err as Error).message}`));
      return;
    }
    this.emit('message', value);
  }

  private shut(): void {
    if (this.closed) return;
    this.closed = true;
    this.frame = undefined;
    this.emit('close');
  }
}
