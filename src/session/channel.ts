import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { deserialize } from 'node:v8';
import { DEFAULT_MAX_MESSAGE_SIZE, PayloadCollector } from '../protocol/index.js';
import { ErrnoError } from '../platform/errno.js';
import { releaseGrown } from '../platform/growable-bytes.js';
import { ATTACH_MIN, pack, unpack } from './attachments.js';
import type { BlockPool } from '../protocol/block-pool.js';

/** Bound on a frame: the largest message (a clipboard of the default --max-message-size) and its wrapping. */
export const MAX_FRAME = DEFAULT_MAX_MESSAGE_SIZE + (1 << 20);

/**
 * Bound on the envelope of a frame from the helper (a plain frame is all envelope): four times the
 * largest a helper's message makes, one byte array under ATTACH_MIN inline and a few small fields.
 * Attachments are kept as the bytes they are, but an envelope is deserialized into objects: 3 bytes
 * (`{}`) make an object of some 60 bytes, so 8 MiB of them held the daemon over 300 MB and its
 * event loop for seconds; within this bound they cost at most a few MB.
 */
export const HELPER_ENVELOPE = 4 * ATTACH_MIN;

/** The file descriptor of the channel in the helper (after stdin, stdout and stderr). */
export const CHANNEL_FD = 3;

/** Bytes of a plain frame's header: the payload's length, 32-bit big-endian. */
const HEADER = 4;
/** Set in the first header word of a frame with attachments; a second word follows: the attachments' length. */
const WITH_ATTACHMENTS = 0x8000_0000;

/** Events of a {@link FrameChannel}. */
export interface FrameChannelEvents {
  /** One message, as the peer sent it (check it: the peer may be hostile). */
  message: [value: unknown];
  /** A frame that does not deserialize (dropped, `EBADMSG`), or one over a bound (`EMSGSIZE`: the channel is closed). */
  malformed: [err: NodeJS.ErrnoException];
  /** The stream ended or failed. */
  close: [];
}

/** The frame being read once its header is in: its envelope, then its attachments' bytes. */
interface IncomingFrame {
  /** Whether the envelope is an attachments.ts envelope (false: v8.serialize alone). */
  packed: boolean;
  /** The envelope when it spans reads (copied once, memory proportional to what arrived). */
  envelope: PayloadCollector | undefined;
  /** The envelope when one read held it whole. */
  whole: Buffer | undefined;
  /** Envelope bytes still needed. */
  need: number;
  /** The attachments' bytes, read straight into one buffer of their declared length. */
  attached: Buffer;
  /** Attachment bytes read so far. */
  filled: number;
}

/**
 * The daemon ↔ helper channel on the inherited socketpair: structured-clone messages (Buffers and
 * bigints kept, as with Node's 'advanced' IPC) in length-prefixed frames. A frame is a header
 * (`WITH_ATTACHMENTS | envelope length`, attachments' length), the envelope (the clone, each byte
 * array of 64 KiB or more replaced by its length) and the attachments: those byte arrays, written
 * as they are. So a clipboard's data is never copied to be sent, and arrives in one buffer of its
 * own. A plain frame (`length`, then what v8.serialize wrote) is read as well.
 *
 * Node's own IPC reads a frame of any declared length (up to 4 GiB) into memory before looking at
 * it; here a frame over `maxFrame` is refused from its header, before its payload is buffered. An
 * envelope that spans reads is copied into blocks as it arrives (never kept as one Buffer per
 * read); the attachments are read into one uninitialised buffer of their declared length (within
 * the bound), whose pages become resident only as bytes arrive: a peer can make the reader hold
 * about one frame of `maxFrame` bytes, however it cuts its writes.
 */
export class FrameChannel extends EventEmitter<FrameChannelEvents> {
  /** The header being read, and how much of it arrived. */
  private readonly head = Buffer.alloc(2 * HEADER);
  private headFilled = 0;
  /** Header bytes wanted: one word, or two for a frame with attachments. */
  private headWant = HEADER;
  /** The frame whose header is read. */
  private frame: IncomingFrame | undefined;
  private closed = false;

  /**
   * A channel on `socket` that accepts frames of at most `maxFrame` bytes (envelope and
   * attachments), of which at most `maxEnvelope` envelope; attachments that fit a block of
   * `blocks` are read into one of its blocks, and sent attachments that lie in one of its blocks
   * are given back to it once written.
   */
  constructor(
    private readonly socket: Duplex,
    private readonly maxFrame: number,
    private readonly blocks?: BlockPool,
    private readonly maxEnvelope = maxFrame,
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
   * Sends one message. False when what the kernel did not take at once leaves the socket's buffer
   * past its high-water mark (the caller should wait for `done`, called once the message is handed
   * to the kernel or dropped). Its byte arrays of ATTACH_MIN or more are the message's own: once
   * written, grown ones are freed.
   */
  send(value: unknown, done?: (err?: Error | null) => void): boolean {
    if (this.closed) {
      // Nothing is buffered for a closed channel: the message is dropped.
      if (done) process.nextTick(done, new ErrnoError('EPIPE', 'the channel is closed'));
      return true;
    }
    const { envelope, attachments } = pack(value);
    const header = Buffer.allocUnsafe(2 * HEADER);
    header.writeUInt32BE((WITH_ATTACHMENTS | envelope.length) >>> 0, 0);
    header.writeUInt32BE(attachments.reduce((n, a) => n + a.length, 0), HEADER);
    const blocks = this.blocks;
    // Once written, the attachments that lie in blocks of the pool are its own again, and grown
    // ones (an X11 INCR read) are freed: nothing uses a message's bytes once they are sent.
    const written =
      attachments.length > 0
        ? (err?: Error | null): void => {
            for (const a of attachments) {
              blocks?.give(a);
              releaseGrown(a);
            }
            done?.(err);
          }
        : done;
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(envelope, attachments.length === 0 ? written : undefined);
    attachments.forEach((a, i) => this.socket.write(a, i === attachments.length - 1 ? written : undefined));
    this.socket.uncork();
    // What is left once uncork() handed the frame to the kernel, not what write() said while
    // corked: that is false for every frame over the mark (16 KiB), a 64 KiB DATA the kernel took
    // at once included, and made the daemon stop and restart reading its port once per DATA.
    return this.socket.writableLength < this.socket.writableHighWaterMark;
  }

  /** Ends the channel (the peer sees end of stream). */
  close(): void {
    if (this.closed) return;
    this.shut();
    this.socket.end();
  }

  /**
   * Closes the channel's socket at once, whatever is unread or unwritten: the peer is gone. Unlike
   * close(), it does not wait for the peer's end of stream, which never comes while another
   * process holds the peer's descriptor.
   */
  destroy(): void {
    this.shut();
    this.socket.destroy();
  }

  /**
   * Takes bytes read from the socket: called for its 'data' events, or by a reader that reuses one
   * buffer for every read (see {@link channelOnDescriptor}); what is kept is copied, never the chunk.
   */
  receive(chunk: Buffer): void {
    let off = 0;
    while (!this.closed && off < chunk.length) {
      if (!this.frame) {
        const n = Math.min(this.headWant - this.headFilled, chunk.length - off);
        chunk.copy(this.head, this.headFilled, off, off + n);
        this.headFilled += n;
        off += n;
        if (this.headFilled < this.headWant) return;
        const first = this.head.readUInt32BE(0);
        const packed = (first & WITH_ATTACHMENTS) !== 0;
        if (packed && this.headWant === HEADER) {
          this.headWant = 2 * HEADER;
          continue;
        }
        this.headFilled = 0;
        this.headWant = HEADER;
        const size = packed ? (first & ~WITH_ATTACHMENTS) >>> 0 : first;
        const attached = packed ? this.head.readUInt32BE(HEADER) : 0;
        if (size + attached > this.maxFrame || size > this.maxEnvelope) {
          const what = size > this.maxEnvelope ? `an envelope of ${size} bytes is over the bound of ${this.maxEnvelope}` : `a frame of ${size + attached} bytes is over the bound of ${this.maxFrame}`;
          this.emit('malformed', new ErrnoError('EMSGSIZE', what));
          this.destroy();
          return;
        }
        this.frame = { packed, envelope: undefined, whole: undefined, need: size, attached: this.blocks?.take(attached) ?? Buffer.allocUnsafe(attached), filled: 0 };
        // An envelope within this chunk is copied at once; one that spans chunks is collected.
        if (chunk.length - off >= size) {
          this.frame.whole = Buffer.from(chunk.subarray(off, off + size));
          this.frame.need = 0;
          off += size;
        } else this.frame.envelope = new PayloadCollector(size);
      }
      off = this.fill(this.frame, chunk, off);
      if (this.frame.need > 0 || this.frame.filled < this.frame.attached.length) return;
      const frame = this.frame;
      this.frame = undefined;
      this.deliver(frame);
    }
  }

  /** Takes what the frame still needs from `chunk` at `off`; returns the offset after it. */
  private fill(frame: IncomingFrame, chunk: Buffer, off: number): number {
    if (frame.need > 0) {
      const n = Math.min(frame.need, chunk.length - off);
      frame.envelope?.add(chunk.subarray(off, off + n));
      frame.need -= n;
      off += n;
    }
    const n = Math.min(frame.attached.length - frame.filled, chunk.length - off);
    // Bytes read straight into their place (see readTarget) are not copied onto themselves.
    const inPlace = chunk.buffer === frame.attached.buffer && chunk.byteOffset + off === frame.attached.byteOffset + frame.filled;
    if (!inPlace) chunk.copy(frame.attached, frame.filled, off, off + n);
    frame.filled += n;
    return off + n;
  }

  /**
   * Where the next read should go when it can only hold attachment bytes: the unfilled rest of the
   * attachments being read, when at least `min` bytes of them are still missing (else undefined:
   * the next read may also hold the next frame's header). A reader that reads into it hands the
   * bytes to receive() as a view of that place: they are not copied again.
   */
  readTarget(min: number): Buffer | undefined {
    const frame = this.frame;
    if (!frame || frame.need > 0 || frame.attached.length - frame.filled < min) return undefined;
    return frame.attached.subarray(frame.filled);
  }

  /** Hands on one frame's message, or reports it malformed. */
  private deliver(frame: IncomingFrame): void {
    const envelope = frame.whole ?? frame.envelope?.take() ?? Buffer.alloc(0);
    let value: unknown;
    try {
      value = frame.packed ? unpack(envelope, frame.attached) : deserialize(envelope);
    } catch (err) {
      // Nothing refers to the attachments of a frame that does not unpack: back to the pool (freed, when oversize).
      this.blocks?.give(frame.attached);
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

/** Bytes of the buffer a {@link channelOnDescriptor} reads into. */
const READ_BUFFER = 64 * 1024;

/**
 * A channel on an inherited socket descriptor whose reads all go into one buffer: a socket's
 * 'data' events allocate a buffer per read (64 KiB), which for a 16 MiB clipboard is 16 MiB of
 * garbage, resident until a collection frees it. A large attachment is read straight into its own
 * buffer instead, in reads as large as the socket holds: its bytes are not copied once more.
 */
export function channelOnDescriptor(fd: number, maxFrame: number, blocks?: BlockPool, maxEnvelope = maxFrame): FrameChannel {
  const scratch = Buffer.allocUnsafe(READ_BUFFER);
  const reader: { channel: FrameChannel | undefined } = { channel: undefined };
  // Asked for the buffer of each next read (once more after each callback).
  const buffer = (): Buffer => reader.channel?.readTarget(READ_BUFFER) ?? scratch;
  const callback = (n: number, into: Uint8Array): boolean => {
    reader.channel?.receive(Buffer.from(into.buffer, into.byteOffset, n));
    return true;
  };
  reader.channel = new FrameChannel(new Socket({ fd, readable: true, writable: true, onread: { buffer, callback } }), maxFrame, blocks, maxEnvelope);
  return reader.channel;
}
