import { ClipboardReadError } from '../backend.js';
import type { PropertyValue, XConnection } from './connection.js';
import type { ClipboardXEvent } from './events.js';
import type { Xid } from './xlib.js';
import { GrowableBytes, releaseGrown } from '../../growable-bytes.js';

/** What the property reader keeps of an INCR piece once it is stored. */
const EMPTY = Buffer.alloc(0);
/**
 * Most bytes of an INCR piece read at once: owners send pieces of up to ~1 MiB (xclip), and each
 * read's reply exists twice in C memory (xcb's buffer and Xlib's copy) beside the store it is
 * copied into; read in slices, a 1 MiB answer peaks at the store and two slices, not three times
 * its size.
 */
export const PIECE_SLICE = 256 * 1024;

/** The bytes of a property value on the wire: Xlib hands format-32 items over as C longs (8 bytes), X sends 4. */
function wireBytes(v: PropertyValue): number {
  return v.format === 32 ? v.length / 2 : v.length;
}

/** What one conversion needs: which selection, into which target, through which property of ours. */
export interface ConversionRequest {
  selection: Xid;
  target: Xid;
  property: Xid;
  /** Most bytes accepted. */
  limit: number;
  /** Longest wait for the owner, between any two steps. */
  timeoutMs: number;
}

/**
 * One selection conversion from another client into our window (ICCCM §2.4), with the INCR
 * protocol for data the owner sends in pieces. Events are fed synchronously from the event loop,
 * so no piece can slip past between two steps.
 */
export class IncomingTransfer {
  /** Settles with the data, or a {@link ClipboardReadError}. */
  readonly done: Promise<Buffer>;
  private resolve!: (data: Buffer) => void;
  private reject!: (err: ClipboardReadError) => void;
  private incremental = false;
  /** The INCR data received so far (its taker releases it: see releaseGrown). */
  private data: GrowableBytes | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly conn: XConnection,
    private readonly req: ConversionRequest,
  ) {
    this.done = new Promise<Buffer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    conn.deleteProperty(conn.window, req.property);
    conn.convert(req.selection, req.target, req.property);
    this.arm();
  }

  /** Whether the transfer has settled. */
  get settled(): boolean {
    return this.finished;
  }

  /** Takes an event; true when it belonged to this transfer. */
  handle(event: ClipboardXEvent): boolean {
    if (this.finished) return false;
    if (!this.incremental) {
      if (event.kind !== 'notify' || event.requestor !== this.conn.window || event.selection !== this.req.selection) return false;
      if (event.property === 0) this.fail('refused', `the owner refused to convert to ${this.conn.atomName(this.req.target)}`);
      else this.first();
      return true;
    }
    if (event.kind !== 'property' || event.window !== this.conn.window || event.atom !== this.req.property || event.deleted) return false;
    this.next();
    return true;
  }

  /** Gives up (the connection closes). */
  cancel(): void {
    this.fail('failed', 'the clipboard connection closed');
  }

  private first(): void {
    // A first slice tells INCR from data the owner set whole; data set whole and larger than a slice
    // (xclip sets up to ~1 MiB so) is read on in slices into a store of its size, as INCR pieces are.
    const slice = Math.min(PIECE_SLICE, this.req.limit + 1);
    // Stored where it can be freed at once (a copy V8 frees only when it collects stayed resident:
    // +0.3 MiB a read), with room for a slice of format-32 items (C longs, twice the wire's size).
    const head = new GrowableBytes(2 * slice);
    const v = this.conn.readProperty(this.conn.window, this.req.property, slice, true, (bytes) => {
      head.add(bytes);
      return head.take();
    });
    if (v.type === this.conn.atom('INCR')) {
      // The value is the owner's lower bound of the size (ICCCM §2.7.2); the pieces follow our deletion.
      const announced = v.data.length >= 8 ? Number(v.data.readBigUInt64LE(0)) : 0;
      releaseGrown(v.data);
      if (announced > this.req.limit) return this.fail('too-large', `the owner announced ${announced} bytes`);
      this.incremental = true;
      this.conn.holdReplies(true);
      // One byte over the limit is read, to tell data at the limit from data past it.
      this.data = new GrowableBytes(this.req.limit + 1);
      this.arm();
      return;
    }
    if (v.type === 0) return this.fail('refused', 'the owner answered with no property');
    if (v.bytesAfter === 0 && v.data.length <= this.req.limit) return this.succeed(v.data);
    const total = wireBytes(v) + v.bytesAfter;
    // Format-32 items take twice their wire size here, and the store holds the limit's worth of those.
    if (total > this.req.limit || v.data.length > this.req.limit) {
      releaseGrown(v.data);
      return this.fail('too-large', `the owner set ${total} bytes`);
    }
    // Read on from the first slice, as an INCR piece is read (the owner may change it meanwhile:
    // what is stored stops one byte past the limit all the same).
    const data = new GrowableBytes(this.req.limit + 1);
    data.add(v.data);
    releaseGrown(v.data);
    const { last } = this.readSlices(data, wireBytes(v));
    if (last.bytesAfter > 0 || data.length > this.req.limit) {
      releaseGrown(data.take());
      return this.fail('too-large', `more than ${this.req.limit} bytes`);
    }
    this.succeed(data.take());
  }

  private next(): void {
    const data = this.data as GrowableBytes;
    const { last, read } = this.readSlices(data, 0);
    if (read === 0 && last.bytesAfter === 0) return this.succeed(data.take());
    if (last.bytesAfter > 0 || data.length > this.req.limit) return this.fail('too-large', `more than ${this.req.limit} bytes`);
    this.arm();
  }

  /**
   * Reads the property on from `offset` (bytes on the wire) in slices of at most PIECE_SLICE into
   * `data`, until nothing is left past a slice (X deletes the property with that one) or `data`
   * holds more than the limit: the last value read, and the bytes on the wire read.
   */
  private readSlices(data: GrowableBytes, offset: number): { last: PropertyValue; read: number } {
    // X returns whole 4-byte units, so a slice may run up to 3 bytes past what was asked: what is
    // stored stops one byte past the limit, enough to tell (and the store's bound is never passed).
    const store = (bytes: Uint8Array): Buffer => {
      data.add(bytes.subarray(0, this.req.limit + 1 - data.length));
      return EMPTY;
    };
    let read = 0;
    let last: PropertyValue;
    do {
      const want = Math.min(PIECE_SLICE, this.req.limit + 1 - data.length);
      last = this.conn.readProperty(this.conn.window, this.req.property, want, true, store, offset + read);
      read += wireBytes(last);
    } while (last.bytesAfter > 0 && last.length > 0 && data.length <= this.req.limit);
    return { last, read };
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail('timeout', `no answer from the owner in ${this.req.timeoutMs} ms`), this.req.timeoutMs);
  }

  private succeed(data: Buffer): void {
    this.finish();
    this.resolve(data);
  }

  private fail(code: ClipboardReadError['code'], message: string): void {
    if (this.finished) return;
    this.finish();
    this.reject(new ClipboardReadError(code, message));
  }

  private finish(): void {
    this.finished = true;
    clearTimeout(this.timer);
    // Given back once the answer is on its way: freeing the pieces' memory is not on its path.
    if (this.incremental) setImmediate(() => this.conn.holdReplies(false));
  }
}
