import {
  ChunkPort,
  CHUNK_HEADER_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  isMessageType,
  MAX_CHUNK_DATA_SIZE,
  MessageType,
  MESSAGE_HEADER_SIZE,
  PROTOCOL_VERSION,
} from './constants.js';
import { ErrorCode, VdagentError } from './errors.js';
import { readMessageHeader } from './header.js';
import { PayloadCollector } from './payload-collector.js';
import { SERVER_PORT_CEILING } from './ceilings.js';
import { keepsPayload, payloadCeiling } from './table.js';

/**
 * The messages a client reconnecting after semi-seamless migration begins with: its announcement
 * (request=1), or the status that ends the transfer the cut left open. Only these may cut a
 * half-received message. (The fuzz test's higher peak with cuts came from the channel to the
 * helper keeping forwarded payloads' buffers alive, now fixed, not from which types may cut.)
 */
const CUTTERS: ReadonlySet<number> = new Set([MessageType.AnnounceCapabilities, MessageType.FileXferStatus]);

/** A whole message as it came off the wire, before typed decoding. */
export interface RawMessage {
  /** The chunk port it arrived on (1 client, 2 server); never used for dispatch. */
  port: ChunkPort;
  /** VDAgentMessage.type (always a defined type here). */
  type: number;
  /** VDAgentMessage.opaque. */
  opaque: bigint;
  /** The payload; a view into received data when it arrived in one piece. */
  payload: Buffer;
}

/** Receives what the reassembler produces. */
export interface ReassemblerSink {
  /** A complete message with protocol 1 and a known type. */
  message(raw: RawMessage): void;
  /** A dropped message or a lost stream (see `VdagentError.severity`). */
  error(err: VdagentError, port: number | undefined): void;
}

/** Limits of the reassembler. */
export interface ReassemblerOptions {
  /**
   * Ceiling on a CLIPBOARD's (or an unknown type's) declared payload size (default 128 MiB); every
   * other type has its own smaller ceiling from the message table, and none exceeds this one. On
   * the server's chunk port every type is held to SERVER_PORT_CEILING as well.
   */
  maxMessageSize?: number;
  /** Largest chunk data size accepted (default VD_AGENT_MAX_DATA_SIZE = 2048). */
  maxChunkSize?: number;
  /**
   * Allocates the blocks a payload of message `type` spanning chunks is collected in, uninitialised
   * (default Buffer.allocUnsafe): where a message's memory is reused once it was handled.
   */
  allocate?: (type: number, size: number) => Buffer;
  /**
   * The bytes pushed are lent: a buffer reused once push() returns (a port's read buffer). A
   * payload in one piece is then copied (at most a chunk's size) when its decoded message keeps
   * its bytes (the table's keepsPayload); any other is a view valid only while the sink's
   * message() runs, which must decode it there.
   */
  lentInput?: boolean;
}

/** How a port's payloads are kept: the largest message size, and where payloads spanning chunks are collected. */
interface Keeping {
  maxMessageSize: number;
  maxChunkSize: number;
  allocate: ((type: number, size: number) => Buffer) | undefined;
  lentInput: boolean;
}

/** Per-port reassembly state (spec §5). */
class PortAssembler {
  /** Header bytes collected so far (0…20). */
  private readonly hdr = Buffer.alloc(MESSAGE_HEADER_SIZE);
  private hdrFilled = 0;
  /** Payload bytes still expected once the header is complete; -1 while reading the header. */
  private need = -1;
  private type = 0;
  private opaque = 0n;
  private size = 0;
  /** Whether the payload is kept (false: counted and dropped). */
  private keep = false;
  /** The payload so far of a kept message spanning chunks; none while it needs no copy. */
  private collector: PayloadCollector | undefined;
  /** Bytes left in the current chunk to discard after an error inside it. */
  private discard = 0;
  /** Data size of the chunk being fed. */
  private chunkSize = 0;
  /** Data size of the chunk the message in progress began in: the sender's piece size. */
  private piece = 0;
  /** The first bytes of a chunk that may begin a new message, held until {@link isCut} can tell. */
  private readonly probe = Buffer.alloc(MESSAGE_HEADER_SIZE);
  /** Bytes in `probe`; -1 while no chunk is being probed. */
  private probeFilled = -1;

  constructor(
    private readonly port: ChunkPort,
    private readonly keeping: Keeping,
    private readonly sink: ReassemblerSink,
  ) {}

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.hdrFilled + (this.collector?.held ?? 0);
  }

  /** Forgets any partial message (CLIENT_DISCONNECTED, new client, resync). */
  reset(): void {
    this.hdrFilled = 0;
    this.need = -1;
    this.keep = false;
    this.collector = undefined;
    this.discard = 0;
    this.probeFilled = -1;
  }

  /**
   * Called at the start of each chunk of `size` data bytes. A chunk larger than what the message
   * in progress misses begins a new message (MessageTruncated). One that fits but is not the
   * piece its sender would send next (see {@link isCut}) has its first 20 bytes probed.
   */
  chunkStart(size: number): void {
    this.discard = 0;
    this.chunkSize = size;
    if (this.need > 0 && size > this.need) {
      // Chunks of one message are consecutive; one that does not fit begins a new message.
      if (this.keep) this.fail(ErrorCode.MessageTruncated, `message type ${this.type} stopped after ${this.size - this.need} of ${this.size} payload bytes`);
      this.reset();
    }
    if (this.need > 0 && size >= MESSAGE_HEADER_SIZE && size !== Math.min(this.piece, this.need)) this.probeFilled = 0;
    if (this.need < 0 && this.hdrFilled === 0) this.piece = size;
  }

  /**
   * Feeds bytes `start`…`end` of `data`, all of the current chunk; `chunkLeft` counts bytes of
   * this chunk after them. Offsets, not views: a view per chunk was most of the garbage of a transfer.
   */
  feed(data: Buffer, start: number, end: number, chunkLeft: number): void {
    if (this.probeFilled < 0) return this.take(data, start, end, chunkLeft);
    const n = Math.min(MESSAGE_HEADER_SIZE - this.probeFilled, end - start);
    data.copy(this.probe, this.probeFilled, start, start + n);
    this.probeFilled += n;
    if (this.probeFilled < MESSAGE_HEADER_SIZE) return;
    this.probeFilled = -1;
    const rest = start + n;
    if (this.isCut()) {
      this.fail(ErrorCode.MessageCut, `message type ${this.type} cut after ${this.size - this.need} of ${this.size} payload bytes: a chunk of ${this.chunkSize} bytes begins a new message`);
      this.reset();
      this.piece = this.chunkSize;
    }
    // A copy: the probe is reused, and a payload in one piece is handed out as a view.
    this.take(Buffer.from(this.probe), 0, MESSAGE_HEADER_SIZE, end - rest + chunkLeft);
    this.take(data, rest, end, chunkLeft);
  }

  /**
   * Whether the probed chunk begins a new message although the message in progress misses more
   * bytes than it carries: with spice-gtk and spice-server a message always begins at a chunk's
   * first byte, and its pieces are min(2048, bytes left) long, so this chunk (not the piece the
   * sender of the message in progress would send next) is the trace of a sender that started
   * over. It must begin with a well-formed header: protocol 1, a type a reconnecting client
   * begins with ({@link CUTTERS}), a size within the type's ceiling, and a size this chunk is the
   * first piece of: the whole message (20 + size), or a full chunk of a longer one. Data that merely looks like a header is safe with every
   * sender that cuts like spice-gtk (it is never probed); a sender cutting irregularly is misread
   * only by data holding such a header, with exactly this chunk's size, at a chunk's start.
   */
  private isCut(): boolean {
    const h = readMessageHeader(this.probe);
    const whole = MESSAGE_HEADER_SIZE + h.size;
    return (
      h.protocol === PROTOCOL_VERSION &&
      CUTTERS.has(h.type) &&
      h.size <= payloadCeiling(h.type, this.keeping.maxMessageSize) &&
      (whole === this.chunkSize || (whole > this.chunkSize && this.chunkSize === this.keeping.maxChunkSize))
    );
  }

  /** Takes bytes `start`…`end` of `data`, of the current chunk, as they come: header, then payload. */
  private take(data: Buffer, start: number, end: number, chunkLeft: number): void {
    let off = start;
    if (this.discard > 0) {
      const n = Math.min(this.discard, end - off);
      this.discard -= n;
      off += n;
    }
    while (off < end) {
      if (this.need < 0) {
        const n = Math.min(MESSAGE_HEADER_SIZE - this.hdrFilled, end - off);
        data.copy(this.hdr, this.hdrFilled, off, off + n);
        this.hdrFilled += n;
        off += n;
        if (this.hdrFilled < MESSAGE_HEADER_SIZE) return;
        if (!this.beginPayload(end - off + chunkLeft)) {
          // Drop the rest of this chunk: what is in `data` now, and `chunkLeft` bytes to come.
          this.reset();
          this.discard = chunkLeft;
          return;
        }
        if (this.need === 0) this.complete(this.keep ? Buffer.alloc(0) : undefined);
        continue;
      }
      const n = Math.min(this.need, end - off);
      const from = off;
      this.need -= n;
      off += n;
      if (!this.keep) {
        if (this.need === 0) this.complete(undefined);
      } else if (this.need === 0 && !this.collector) {
        // The whole payload in one piece: handed out as a view, copied only from lent input for a
        // type whose message keeps its bytes (a MOUSE_STATE is read at once and kept by nobody).
        const piece = data.subarray(from, off);
        this.complete(this.keeping.lentInput && keepsPayload(this.type) ? Buffer.from(piece) : piece);
      } else {
        // Copied, so that a piece never pins the (larger) buffer it arrived in.
        this.collector ??= this.newCollector();
        this.collector.add(data, from, off);
        if (this.need === 0) this.complete(this.collector.take());
      }
    }
  }

  /** Validates a complete header; false means drop the rest of this chunk. */
  private beginPayload(restOfChunk: number): boolean {
    const h = readMessageHeader(this.hdr);
    this.type = h.type;
    this.opaque = h.opaque;
    this.size = h.size;
    const ceiling = payloadCeiling(h.type, this.keeping.maxMessageSize);
    if (h.size > ceiling) {
      this.fail(ErrorCode.MessageTooLarge, `message type ${h.type} declares ${h.size} bytes, ceiling is ${ceiling}`);
      return false;
    }
    if (restOfChunk > h.size) {
      this.fail(ErrorCode.BadPayloadSize, `chunk carries ${restOfChunk} bytes after a header declaring ${h.size}`);
      return false;
    }
    this.need = h.size;
    this.keep = true;
    if (h.protocol !== PROTOCOL_VERSION) {
      this.fail(ErrorCode.BadProtocolVersion, `protocol ${h.protocol} in message type ${h.type}, expected ${PROTOCOL_VERSION}`);
      this.keep = false;
    } else if (!isMessageType(h.type)) {
      this.fail(ErrorCode.UnknownMessageType, `unknown message type ${h.type} (${h.size} bytes)`);
      this.keep = false;
    }
    return true;
  }

  /** A collector for the current message's payload, its blocks from the allocator when there is one. */
  private newCollector(): PayloadCollector {
    const { allocate } = this.keeping;
    const type = this.type;
    return new PayloadCollector(this.size, allocate && ((size) => allocate(type, size)));
  }

  /** Ends the current message; `payload` is undefined for a message that was not kept. */
  private complete(payload: Buffer | undefined): void {
    this.hdrFilled = 0;
    this.need = -1;
    this.keep = false;
    this.collector = undefined;
    if (payload) this.sink.message({ port: this.port, type: this.type, opaque: this.opaque, payload });
  }

  private fail(code: ErrorCode, text: string): void {
    this.sink.error(new VdagentError(code, text, this.type), this.port);
  }
}

/**
 * Turns the byte stream of the port into messages: the chunk layer (spec §3) and one reassembly
 * state per chunk port (spec §5). Copies bytes only when a message spans chunks (from lent input,
 * also a payload in one piece its message keeps); memory held is at
 * most 1.1 × bytes received + a constant, never a function of sizes declared, and a header
 * declaring more than its type's ceiling is refused before any payload is kept.
 */
export class Reassembler {
  private readonly chunkHdr = Buffer.alloc(CHUNK_HEADER_SIZE);
  private chunkHdrFilled = 0;
  /** Data bytes left in the current chunk; -1 while reading a chunk header. */
  private chunkLeft = -1;
  private current: PortAssembler | undefined;
  private readonly ports: Map<number, PortAssembler>;
  private readonly maxChunkSize: number;
  private lost = false;

  constructor(
    private readonly sink: ReassemblerSink,
    options: ReassemblerOptions = {},
  ) {
    this.maxChunkSize = options.maxChunkSize ?? MAX_CHUNK_DATA_SIZE;
    const keeping: Keeping = { maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE, maxChunkSize: this.maxChunkSize, allocate: options.allocate, lentInput: options.lentInput ?? false };
    const server: Keeping = { ...keeping, maxMessageSize: Math.min(keeping.maxMessageSize, SERVER_PORT_CEILING) };
    this.ports = new Map([
      [ChunkPort.Client, new PortAssembler(ChunkPort.Client, keeping, sink)],
      [ChunkPort.Server, new PortAssembler(ChunkPort.Server, server, sink)],
    ]);
  }

  /** True after a resync-severity error until `reset()`: input is ignored meanwhile. */
  get needsResync(): boolean {
    return this.lost;
  }

  /** Bytes held for incomplete messages and chunk headers. */
  get buffered(): number {
    let n = this.chunkHdrFilled;
    for (const p of this.ports.values()) n += p.buffered;
    return n;
  }

  /** Forgets everything (after the stream was reopened). */
  reset(): void {
    this.chunkHdrFilled = 0;
    this.chunkLeft = -1;
    this.current = undefined;
    this.lost = false;
    for (const p of this.ports.values()) p.reset();
  }

  /** Discards a partial message of one chunk port (CLIENT_DISCONNECTED, new client). */
  discardPort(port: ChunkPort): void {
    this.ports.get(port)?.reset();
  }

  /** Feeds received bytes. */
  push(data: Buffer): void {
    let off = 0;
    while (off < data.length && !this.lost) {
      if (this.chunkLeft < 0) {
        if (this.chunkHdrFilled === 0 && data.length - off >= CHUNK_HEADER_SIZE) {
          this.startChunk(data.readUInt32LE(off), data.readUInt32LE(off + 4));
          off += CHUNK_HEADER_SIZE;
        } else {
          const n = Math.min(CHUNK_HEADER_SIZE - this.chunkHdrFilled, data.length - off);
          data.copy(this.chunkHdr, this.chunkHdrFilled, off, off + n);
          this.chunkHdrFilled += n;
          off += n;
          if (this.chunkHdrFilled === CHUNK_HEADER_SIZE) {
            this.chunkHdrFilled = 0;
            this.startChunk(this.chunkHdr.readUInt32LE(0), this.chunkHdr.readUInt32LE(4));
          }
        }
        continue;
      }
      const n = Math.min(this.chunkLeft, data.length - off);
      this.chunkLeft -= n;
      const from = off;
      off += n;
      const port = this.current;
      if (this.chunkLeft === 0) {
        this.chunkLeft = -1;
        this.current = undefined;
      }
      port?.feed(data, from, off, Math.max(this.chunkLeft, 0));
    }
  }

  private startChunk(port: number, size: number): void {
    const assembler = this.ports.get(port);
    if (!assembler) {
      this.lose(new VdagentError(ErrorCode.BadChunkPort, `chunk port ${port} is neither 1 nor 2`));
      return;
    }
    if (size > this.maxChunkSize) {
      this.lose(new VdagentError(ErrorCode.ChunkTooLarge, `chunk of ${size} bytes exceeds ${this.maxChunkSize}`));
      return;
    }
    if (size === 0) {
      this.sink.error(new VdagentError(ErrorCode.EmptyChunk, `zero-size chunk on port ${port} ignored`), port);
      return;
    }
    assembler.chunkStart(size);
    this.current = assembler;
    this.chunkLeft = size;
  }

  private lose(err: VdagentError): void {
    this.lost = true;
    this.sink.error(err, undefined);
  }
}
