import koffi from 'koffi';

/** An open Xlib display connection (an opaque `Display *`). */
export type DisplayPtr = bigint;

/** An X resource id: a window or an atom (`XID`, an unsigned long). */
export type Xid = number;

/** The Xlib and XFixes calls the clipboard needs, with the X protocol errors of the process recorded instead of fatal. */
export interface Xlib {
  XOpenDisplay(name: string | null): DisplayPtr | null;
  XCloseDisplay(dpy: DisplayPtr): number;
  XConnectionNumber(dpy: DisplayPtr): number;
  XDefaultRootWindow(dpy: DisplayPtr): Xid;
  XCreateSimpleWindow(dpy: DisplayPtr, parent: Xid, x: number, y: number, w: number, h: number, border: number, borderPixel: number, background: number): Xid;
  XDestroyWindow(dpy: DisplayPtr, w: Xid): number;
  XInternAtom(dpy: DisplayPtr, name: string, onlyIfExists: number): Xid;
  XGetAtomName(dpy: DisplayPtr, atom: Xid): bigint | null;
  XSelectInput(dpy: DisplayPtr, w: Xid, mask: number): number;
  XSetSelectionOwner(dpy: DisplayPtr, selection: Xid, owner: Xid, time: number): number;
  XGetSelectionOwner(dpy: DisplayPtr, selection: Xid): Xid;
  XConvertSelection(dpy: DisplayPtr, selection: Xid, target: Xid, property: Xid, requestor: Xid, time: number): number;
  XGetWindowProperty(
    dpy: DisplayPtr, w: Xid, property: Xid, offset: number, length: number, del: number, reqType: Xid,
    actualType: [Xid | null], actualFormat: [number | null], nitems: [number | null], bytesAfter: [number | null], prop: [bigint | null],
  ): number;
  XChangeProperty(dpy: DisplayPtr, w: Xid, property: Xid, type: Xid, format: number, mode: number, data: Buffer, nelements: number): number;
  XDeleteProperty(dpy: DisplayPtr, w: Xid, property: Xid): number;
  XSendEvent(dpy: DisplayPtr, w: Xid, propagate: number, mask: number, event: Buffer): number;
  XPending(dpy: DisplayPtr): number;
  XNextEvent(dpy: DisplayPtr, event: Buffer): number;
  XFlush(dpy: DisplayPtr): number;
  XSync(dpy: DisplayPtr, discard: number): number;
  XFree(data: bigint): number;
  XExtendedMaxRequestSize(dpy: DisplayPtr): number;
  XMaxRequestSize(dpy: DisplayPtr): number;
  XSetErrorHandler(handler: bigint | null): bigint | null;
  XFixesQueryExtension(dpy: DisplayPtr, eventBase: [number | null], errorBase: [number | null]): number;
  XFixesSelectSelectionInput(dpy: DisplayPtr, w: Xid, selection: Xid, mask: number): void;
  /** The error code of the last X protocol error (0: none since the last call), and forgets it. */
  takeError(): number;
  /** Puts back the error handler that was in place before, and frees ours. */
  release(): void;
}

/** The size of `XEvent` (a union of 24 longs). */
export const XEVENT_SIZE = 192;

/** Xlib's error handler type, int (*)(Display *, XErrorEvent *), declared without a name (no type registered process-wide). */
const ERROR_HANDLER = koffi.pointer(koffi.proto('int (void *dpy, void *event)'));

/**
 * Loads libX11 and libXfixes (LP64 only: the event offsets used here assume 8-byte longs) and
 * installs an error handler that records errors: Xlib's default one exits the process, while a
 * requestor window that vanishes in the middle of a transfer (BadWindow) is normal. The handler
 * is process-wide in Xlib; its owner calls `release()` when done.
 */
export function loadXlib(): Xlib {
  if (koffi.sizeof('long') !== 8) throw new Error('the X11 clipboard needs a 64-bit platform');
  const x = koffi.load('libX11.so.6');
  const xf = koffi.load('libXfixes.so.3');
  const lib: Omit<Xlib, 'takeError' | 'release'> = {
    XOpenDisplay: x.func('void *XOpenDisplay(const char *name)'),
    XCloseDisplay: x.func('int XCloseDisplay(void *dpy)'),
    XConnectionNumber: x.func('int XConnectionNumber(void *dpy)'),
    XDefaultRootWindow: x.func('unsigned long XDefaultRootWindow(void *dpy)'),
    XCreateSimpleWindow: x.func('unsigned long XCreateSimpleWindow(void *dpy, unsigned long parent, int x, int y, unsigned int w, unsigned int h, unsigned int bw, unsigned long border, unsigned long bg)'),
    XDestroyWindow: x.func('int XDestroyWindow(void *dpy, unsigned long w)'),
    XInternAtom: x.func('unsigned long XInternAtom(void *dpy, const char *name, int onlyIfExists)'),
    XGetAtomName: x.func('void *XGetAtomName(void *dpy, unsigned long atom)'),
    XSelectInput: x.func('int XSelectInput(void *dpy, unsigned long w, long mask)'),
    XSetSelectionOwner: x.func('int XSetSelectionOwner(void *dpy, unsigned long sel, unsigned long owner, unsigned long time)'),
    XGetSelectionOwner: x.func('unsigned long XGetSelectionOwner(void *dpy, unsigned long sel)'),
    XConvertSelection: x.func('int XConvertSelection(void *dpy, unsigned long sel, unsigned long target, unsigned long prop, unsigned long requestor, unsigned long time)'),
    XGetWindowProperty: x.func(
      'int XGetWindowProperty(void *dpy, unsigned long w, unsigned long prop, long offset, long length, int del, unsigned long reqType, ' +
        '_Out_ unsigned long *actualType, _Out_ int *actualFormat, _Out_ unsigned long *nitems, _Out_ unsigned long *bytesAfter, _Out_ void **prop)',
    ),
    XChangeProperty: x.func('int XChangeProperty(void *dpy, unsigned long w, unsigned long prop, unsigned long type, int format, int mode, const uint8_t *data, int n)'),
    XDeleteProperty: x.func('int XDeleteProperty(void *dpy, unsigned long w, unsigned long prop)'),
    XSendEvent: x.func('int XSendEvent(void *dpy, unsigned long w, int propagate, long mask, const uint8_t *event)'),
    XPending: x.func('int XPending(void *dpy)'),
    XNextEvent: x.func('int XNextEvent(void *dpy, _Out_ uint8_t *event)'),
    XFlush: x.func('int XFlush(void *dpy)'),
    XSync: x.func('int XSync(void *dpy, int discard)'),
    XFree: x.func('int XFree(void *data)'),
    XExtendedMaxRequestSize: x.func('long XExtendedMaxRequestSize(void *dpy)'),
    XMaxRequestSize: x.func('long XMaxRequestSize(void *dpy)'),
    XSetErrorHandler: x.func('void *XSetErrorHandler(void *handler)'),
    XFixesQueryExtension: xf.func('int XFixesQueryExtension(void *dpy, _Out_ int *eventBase, _Out_ int *errorBase)'),
    XFixesSelectSelectionInput: xf.func('void XFixesSelectSelectionInput(void *dpy, unsigned long w, unsigned long sel, unsigned long mask)'),
  };
  const recorded = { code: 0 };
  const handler = koffi.register((_dpy: bigint, event: bigint) => {
    // XErrorEvent: int type, Display *display, XID resourceid, unsigned long serial, unsigned char error_code
    recorded.code = new Uint8Array(koffi.view(event, 33))[32] ?? 0;
    return 0;
  }, ERROR_HANDLER);
  const previous = lib.XSetErrorHandler(handler);
  return {
    ...lib,
    takeError(): number {
      const code = recorded.code;
      recorded.code = 0;
      return code;
    },
    release(): void {
      const current = lib.XSetErrorHandler(previous);
      // An Xlib loaded after this one installed its own handler: that one stays.
      if (current !== handler) lib.XSetErrorHandler(current);
      koffi.unregister(handler);
    },
  };
}

/** A view of `length` bytes of Xlib-owned memory (valid until Xlib frees it). */
export function viewOf(ptr: bigint, length: number): Uint8Array {
  return length === 0 ? new Uint8Array(0) : new Uint8Array(koffi.view(ptr, length));
}

/** Reads a NUL-terminated string from Xlib-owned memory. */
export function stringAt(ptr: bigint): string {
  return koffi.decode(ptr, 'char', -1) as string;
}
