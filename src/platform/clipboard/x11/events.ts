import type { Xid } from './xlib.js';

// Offsets into Xlib's XEvent union on LP64 (int type; unsigned long serial; Bool send_event;
// Display *display; then the event's own fields from offset 32).

enum XEventType {
  PropertyNotify = 28,
  SelectionClear = 29,
  SelectionRequest = 30,
  SelectionNotify = 31,
}

/** A property changed or was deleted (PropertyNotify). */
export interface PropertyEvent {
  kind: 'property';
  window: Xid;
  atom: Xid;
  deleted: boolean;
}

/** Another client took a selection we owned (SelectionClear). */
export interface SelectionClearEvent {
  kind: 'clear';
  window: Xid;
  selection: Xid;
}

/** A client asks the owner to convert a selection (SelectionRequest). */
export interface SelectionRequestEvent {
  kind: 'request';
  requestor: Xid;
  selection: Xid;
  target: Xid;
  property: Xid;
  time: number;
}

/** The owner's answer to a conversion (SelectionNotify; property 0 = refused). */
export interface SelectionNotifyEvent {
  kind: 'notify';
  requestor: Xid;
  selection: Xid;
  target: Xid;
  property: Xid;
}

/** XFixes: a selection's owner changed (owner 0: none). */
export interface OwnerChangeEvent {
  kind: 'owner';
  selection: Xid;
  owner: Xid;
}

/** The events the clipboard acts on. */
export type ClipboardXEvent = PropertyEvent | SelectionClearEvent | SelectionRequestEvent | SelectionNotifyEvent | OwnerChangeEvent;

const id = (b: Buffer, offset: number): Xid => Number(b.readBigUInt64LE(offset));

/** Reads one XEvent; undefined for events the clipboard does not use. */
export function parseXEvent(b: Buffer, fixesEventBase: number): ClipboardXEvent | undefined {
  const type = b.readInt32LE(0) & 0x7f;
  switch (type) {
    case XEventType.PropertyNotify:
      return { kind: 'property', window: id(b, 32), atom: id(b, 40), deleted: b.readInt32LE(56) === 1 };
    case XEventType.SelectionClear:
      return { kind: 'clear', window: id(b, 32), selection: id(b, 40) };
    case XEventType.SelectionRequest:
      return { kind: 'request', requestor: id(b, 40), selection: id(b, 48), target: id(b, 56), property: id(b, 64), time: id(b, 72) };
    case XEventType.SelectionNotify:
      return { kind: 'notify', requestor: id(b, 32), selection: id(b, 40), target: id(b, 48), property: id(b, 56) };
    case fixesEventBase:
      // XFixesSelectionNotifyEvent: window 32, subtype 40, owner 48, selection 56
      return { kind: 'owner', owner: id(b, 48), selection: id(b, 56) };
    default:
      return undefined;
  }
}

/** Builds the SelectionNotify an owner sends to a requestor (property 0 refuses). */
export function selectionNotify(request: SelectionRequestEvent, property: Xid): Buffer {
  const b = Buffer.alloc(192);
  b.writeInt32LE(XEventType.SelectionNotify, 0);
  b.writeInt32LE(1, 16); // send_event
  b.writeBigUInt64LE(BigInt(request.requestor), 32);
  b.writeBigUInt64LE(BigInt(request.selection), 40);
  b.writeBigUInt64LE(BigInt(request.target), 48);
  b.writeBigUInt64LE(BigInt(property), 56);
  b.writeBigUInt64LE(BigInt(request.time), 64);
  return b;
}
