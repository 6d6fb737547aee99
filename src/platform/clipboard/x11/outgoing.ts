import { PROPERTY_CHANGE_MASK, type XConnection } from './connection.js';
import { type ClipboardXEvent, type SelectionRequestEvent, selectionNotify } from './events.js';
import type { Xid } from './xlib.js';

/**
 * Our answer to one SelectionRequest: the data written into the requestor's property at once, or,
 * when larger than one request may carry, in pieces with the INCR protocol (ICCCM §2.7.2), each
 * piece after the requestor deleted the previous one.
 */
export class OutgoingTransfer {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  /** Starts answering `request` with `data` of property type `type`; `onEnd` runs when it is over. */
  constructor(
    private readonly conn: XConnection,
    private readonly request: SelectionRequestEvent,
    private readonly type: Xid,
    private readonly data: Buffer,
    private readonly timeoutMs: number,
    private readonly onEnd: (t: OutgoingTransfer) => void,
  ) {
    const { requestor, property } = request;
    if (data.length <= conn.maxChunk) {
      conn.writeBytes(requestor, property, type, data);
      conn.sendEvent(requestor, selectionNotify(request, property));
      this.end();
      return;
    }
    conn.selectInput(requestor, PROPERTY_CHANGE_MASK);
    conn.writeLongs(requestor, property, conn.atom('INCR'), [data.length]);
    conn.sendEvent(requestor, selectionNotify(request, property));
    this.arm();
  }

  /** Takes an event; true when it belonged to this transfer. */
  handle(event: ClipboardXEvent): boolean {
    if (this.finished || event.kind !== 'property' || !event.deleted) return false;
    if (event.window !== this.request.requestor || event.atom !== this.request.property) return false;
    const piece = this.data.subarray(this.offset, this.offset + this.conn.maxChunk);
    this.conn.writeBytes(this.request.requestor, this.request.property, this.type, piece);
    this.offset += piece.length;
    if (piece.length === 0) this.end();
    else this.arm();
    return true;
  }

  /** Abandons the transfer (the requestor stopped reading, or we close). */
  cancel(): void {
    this.end();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), this.timeoutMs);
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    if (this.data.length > this.conn.maxChunk) this.conn.selectInput(this.request.requestor, 0);
    this.onEnd(this);
  }
}
