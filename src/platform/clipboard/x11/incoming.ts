import { ClipboardReadError } from '../backend.js';
import type { XConnection } from './connection.js';
import type { ClipboardXEvent } from './events.js';
import type { Xid } from './xlib.js';

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

/** Most bytes reserved for an INCR transfer whose owner announces no size; more is collected aside. */
const MAX_RESERVED = 128 * 1024 * 1024;

/**
 * A buffer for an INCR transfer of unknown size (xclip announces none), uninitialised: its pages
 * become resident only as pieces are copied in, so the data is copied once and never joined
 * (pieces kept aside and joined held it twice). Empty when the system refuses the reservation.
 */
function reserve(bytes: number): Buffer {
  try {
    return Buffer.allocUnsafe(bytes);
  } catch {
    return Buffer.alloc(0);
  }
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
  /** INCR data, copied into one buffer of the size the owner announced (a lower bound, ICCCM §2.7.2), or one reserved. */
  private data: Buffer = Buffer.alloc(0);
  /** INCR pieces past the announced size, joined at the end. */
  private readonly beyond: Buffer[] = [];
  private received = 0;
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
    const v = this.conn.readProperty(this.conn.window, this.req.property, this.req.limit + 1, true);
    if (v.type === this.conn.atom('INCR')) {
      // The value is the owner's lower bound of the size; the pieces follow our deletion.
      const announced = v.data.length >= 8 ? Number(v.data.readBigUInt64LE(0)) : 0;
      if (announced > this.req.limit) return this.fail('too-large', `the owner announced ${announced} bytes`);
      this.incremental = true;
      this.data = announced > 0 ? Buffer.allocUnsafe(announced) : reserve(Math.min(this.req.limit, MAX_RESERVED));
      this.arm();
      return;
    }
    if (v.type === 0) return this.fail('refused', 'the owner answered with no property');
    if (v.bytesAfter > 0 || v.data.length > this.req.limit) return this.fail('too-large', `more than ${this.req.limit} bytes`);
    this.succeed(v.data);
  }

  private next(): void {
    const at = this.received;
    const v = this.conn.readProperty(this.conn.window, this.req.property, this.req.limit - at + 1, true, (bytes) => this.keep(bytes, at));
    if (v.length === 0 && v.bytesAfter === 0) return this.succeed(this.joined());
    this.received += v.length;
    if (v.bytesAfter > 0 || this.received > this.req.limit) return this.fail('too-large', `more than ${this.req.limit} bytes`);
    this.arm();
  }

  /** Copies an INCR piece from Xlib's memory into the announced buffer at `at`; what passes its end is kept aside. */
  private keep(bytes: Uint8Array, at: number): Buffer {
    const fits = Math.max(0, Math.min(bytes.length, this.data.length - at));
    if (fits > 0) this.data.set(bytes.subarray(0, fits), at);
    if (fits < bytes.length) this.beyond.push(Buffer.from(bytes.subarray(fits)));
    return this.data.subarray(at, at + fits);
  }

  /** All the INCR data: the announced buffer (copied once) and what came beyond it. */
  private joined(): Buffer {
    if (this.received <= this.data.length) return this.data.subarray(0, this.received);
    return Buffer.concat([this.data, ...this.beyond], this.received);
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
  }
}
