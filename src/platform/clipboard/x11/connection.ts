import { EventEmitter } from 'node:events';
import { FdWatcher } from '../../fd-watcher.js';
import { keepFreedHeap } from '../../libc.js';
import { type ClipboardXEvent, parseXEvent } from './events.js';
import { type DisplayPtr, loadXlib, stringAt, viewOf, XEVENT_SIZE, type Xid, type Xlib } from './xlib.js';

/** PropertyChangeMask: PropertyNotify events for a window. */
export const PROPERTY_CHANGE_MASK = 1 << 22;
/** XFixes: owner set, owner window destroyed, owner client closed. */
const SELECTION_EVENTS_MASK = 1 | 2 | 4;
/** XA_ATOM, the type of a TARGETS list. */
export const XA_ATOM = 4;
const PROP_MODE_REPLACE = 0;
/**
 * Largest reply kept for reuse during transfers in pieces: owners cut INCR data to about a quarter
 * of the server's largest request (xclip, on Xvfb or Xorg: 1 MiB pieces), so this covers them.
 */
const REUSED_REPLY = 4 * 1024 * 1024;

/** One property's value as read with XGetWindowProperty. */
export interface PropertyValue {
  /** Its type atom (0: the property does not exist). */
  type: Xid;
  /** 8, 16 or 32 (0 when absent). */
  format: number;
  /** The raw bytes as Xlib returns them (format 32 items are C longs, 8 bytes each), or what the reader's `keep` made of them. */
  data: Buffer;
  /** How many bytes were read. */
  length: number;
  /** Bytes left unread past the requested length. */
  bytesAfter: number;
}

/**
 * One Xlib connection used for the clipboard: a hidden window of its own, atom names both ways,
 * properties, and the events from the server delivered as typed events without blocking.
 */
export class XConnection extends EventEmitter<{ event: [ClipboardXEvent] }> {
  /** Our hidden window: owner of claimed selections and requestor of conversions. */
  readonly window: Xid;
  /** The root window, where selection owner changes are watched. */
  readonly root: Xid;
  /** Largest property chunk we write in one request. */
  readonly maxChunk: number;
  private readonly x: Xlib;
  private readonly dpy: DisplayPtr;
  private readonly watcher: FdWatcher;
  private readonly fixesBase: number;
  private readonly atoms = new Map<string, Xid>();
  private readonly names = new Map<Xid, string>();
  private readonly eventBuf = Buffer.alloc(XEVENT_SIZE);
  private closed = false;
  private drainQueued = false;
  /** Transfers in pieces under way (see holdReplies). */
  private pieceTransfers = 0;

  /** Opens the display named by `display` (e.g. ":0"); throws when it cannot. */
  constructor(display: string) {
    super();
    this.x = loadXlib();
    const dpy = this.x.XOpenDisplay(display);
    if (!dpy) {
      this.x.release();
      throw new Error(`cannot open X display ${display}`);
    }
    this.dpy = dpy;
    const base: [number | null] = [null];
    if (!this.x.XFixesQueryExtension(dpy, base, [null])) {
      this.x.XCloseDisplay(dpy);
      this.x.release();
      throw new Error(`X display ${display} has no XFIXES extension`);
    }
    this.fixesBase = base[0] ?? 0;
    this.root = this.x.XDefaultRootWindow(dpy);
    this.window = this.x.XCreateSimpleWindow(dpy, this.root, 0, 0, 1, 1, 0, 0, 0);
    this.x.XSelectInput(dpy, this.window, PROPERTY_CHANGE_MASK);
    const maxRequest = this.x.XExtendedMaxRequestSize(dpy) || this.x.XMaxRequestSize(dpy);
    this.maxChunk = Math.min(256 * 1024, maxRequest * 4 - 1024);
    this.watcher = new FdWatcher(this.x.XConnectionNumber(dpy));
    this.flush();
    // A poll error means the connection is gone; Xlib itself ends the process on the next call.
    this.pump().catch(() => this.close());
  }

  /** The atom of a name (interned on first use). */
  atom(name: string): Xid {
    let a = this.atoms.get(name);
    if (a === undefined) {
      a = this.x.XInternAtom(this.dpy, name, 0);
      this.atoms.set(name, a);
      this.names.set(a, name);
    }
    return a;
  }

  /** The name of an atom ("" when it has none). */
  atomName(atom: Xid): string {
    let name = this.names.get(atom);
    if (name === undefined) {
      const p = this.x.XGetAtomName(this.dpy, atom);
      name = p ? stringAt(p) : '';
      if (p) this.x.XFree(p);
      this.names.set(atom, name);
      if (name) this.atoms.set(name, atom);
    }
    return name;
  }

  /** Reports owner changes of a selection as `owner` events. */
  watchSelection(selection: Xid): void {
    this.x.XFixesSelectSelectionInput(this.dpy, this.root, selection, SELECTION_EVENTS_MASK);
    this.flush();
  }

  /** The current owner of a selection (0: none). */
  owner(selection: Xid): Xid {
    return this.x.XGetSelectionOwner(this.dpy, selection);
  }

  /** Makes our window the owner of a selection. */
  own(selection: Xid): void {
    this.x.XSetSelectionOwner(this.dpy, selection, this.window, 0);
    this.flush();
  }

  /** Gives up a selection if our window still owns it. */
  disown(selection: Xid): void {
    if (this.owner(selection) === this.window) this.x.XSetSelectionOwner(this.dpy, selection, 0, 0);
    this.flush();
  }

  /** Asks the owner to convert a selection into a property of our window. */
  convert(selection: Xid, target: Xid, property: Xid): void {
    this.x.XConvertSelection(this.dpy, selection, target, property, this.window, 0);
    this.flush();
  }

  /**
   * Reads (and deletes, when `del` and nothing is left past what was read) a property, at most
   * `maxBytes` of it from `offset` (bytes of the value on the wire, a multiple of 4). `keep` gets
   * the bytes as a view of Xlib's memory, valid during the call only (default: copied into a Buffer of their own).
   */
  readProperty(window: Xid, property: Xid, maxBytes: number, del: boolean, keep: (bytes: Uint8Array) => Buffer = (b) => Buffer.from(b), offset = 0): PropertyValue {
    const type: [Xid | null] = [null];
    const format: [number | null] = [null];
    const nitems: [number | null] = [null];
    const after: [number | null] = [null];
    const data: [bigint | null] = [null];
    const longs = Math.ceil(maxBytes / 4);
    const rc = this.x.XGetWindowProperty(this.dpy, window, property, offset / 4, longs, del ? 1 : 0, 0, type, format, nitems, after, data);
    if (rc !== 0) return { type: 0, format: 0, data: Buffer.alloc(0), length: 0, bytesAfter: 0 };
    const f = format[0] ?? 0;
    const itemSize = f === 32 ? 8 : f / 8;
    const ptr = data[0];
    const length = ptr ? (nitems[0] ?? 0) * itemSize : 0;
    const bytes = keep(ptr ? viewOf(ptr, length) : new Uint8Array(0));
    if (ptr) this.x.XFree(ptr);
    this.flush();
    return { type: type[0] ?? 0, format: f, data: bytes, length, bytesAfter: after[0] ?? 0 };
  }

  /** Writes 8-bit data into a property. */
  writeBytes(window: Xid, property: Xid, type: Xid, data: Buffer): void {
    this.x.XChangeProperty(this.dpy, window, property, type, 8, PROP_MODE_REPLACE, data, data.length);
    this.flush();
  }

  /** Writes a list of 32-bit values (atoms, integers) into a property. */
  writeLongs(window: Xid, property: Xid, type: Xid, values: readonly number[]): void {
    const b = Buffer.alloc(8 * values.length);
    values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 8 * i));
    this.x.XChangeProperty(this.dpy, window, property, type, 32, PROP_MODE_REPLACE, b, values.length);
    this.flush();
  }

  /**
   * A transfer in pieces begins (true) or ends (false). While any is under way, the memory of Xlib's
   * freed replies stays resident: each piece's reply reuses the last one's pages instead of faulting
   * in fresh ones (about 0.5 ms per MiB on a 2-core VM); when the last ends, it is given back.
   */
  holdReplies(held: boolean): void {
    this.pieceTransfers += held ? 1 : -1;
    if (held && this.pieceTransfers === 1) keepFreedHeap(REUSED_REPLY);
    if (!held && this.pieceTransfers === 0) keepFreedHeap(undefined);
  }

  /** Whether a transfer in pieces holds Xlib's freed replies (see holdReplies). */
  get holdingReplies(): boolean {
    return this.pieceTransfers > 0;
  }

  /** Deletes a property. */
  deleteProperty(window: Xid, property: Xid): void {
    this.x.XDeleteProperty(this.dpy, window, property);
    this.flush();
  }

  /** Selects events on a window of another client (PropertyChangeMask to follow an INCR transfer, 0 to stop). */
  selectInput(window: Xid, mask: number): void {
    this.x.XSelectInput(this.dpy, window, mask);
    this.flush();
  }

  /** Sends an event to a window. */
  sendEvent(window: Xid, event: Buffer): void {
    this.x.XSendEvent(this.dpy, window, 0, 0, event);
    this.flush();
  }

  /** Waits until the server processed everything sent, and returns the last protocol error code (0: none). */
  sync(): number {
    this.x.XSync(this.dpy, 0);
    this.queueDrain();
    return this.x.takeError();
  }

  /** Closes the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    this.x.XDestroyWindow(this.dpy, this.window);
    this.x.XCloseDisplay(this.dpy);
    this.x.release();
  }

  /** Sends what Xlib buffered; events a round trip queued are delivered on the next turn. */
  private flush(): void {
    this.x.XFlush(this.dpy);
    this.queueDrain();
  }

  private queueDrain(): void {
    if (this.drainQueued || this.closed) return;
    this.drainQueued = true;
    setImmediate(() => {
      this.drainQueued = false;
      this.drain();
    });
  }

  private async pump(): Promise<void> {
    while (!this.closed) {
      await this.watcher.readable();
      this.drain();
    }
  }

  private drain(): void {
    while (!this.closed && this.x.XPending(this.dpy) > 0) {
      this.x.XNextEvent(this.dpy, this.eventBuf);
      const event = parseXEvent(this.eventBuf, this.fixesBase);
      if (event) this.emit('event', event);
    }
  }
}
