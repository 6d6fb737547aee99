import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { EventSink } from './event-sink.js';
import { EV_ABS, EV_KEY, EV_REL, ABS_X, ABS_Y, REL_WHEEL, InputEventEncoder, nowMicros, type InputEvent } from './input-event.js';
import { ErrnoError } from '../errno.js';
import { loadLibc, type Libc } from '../load-libc.js';
import { TABLET_BUTTONS, TABLET_NAME, type PointerDevice, type TabletSize } from './pointer-device.js';
import {
  BUS_VIRTUAL,
  encodeAbsSetup,
  encodeUinputSetup,
  encodeUserDev,
  UI_ABS_SETUP,
  UI_DEV_CREATE,
  UI_DEV_DESTROY,
  UI_DEV_SETUP,
  UI_GET_VERSION,
  UI_SET_ABSBIT,
  UI_SET_EVBIT,
  UI_SET_KEYBIT,
  UI_SET_RELBIT,
  UINPUT_VERSION_SETUP,
  type AbsAxis,
  type InputId,
} from './uinput-abi.js';

/** The default uinput device node. */
export const UINPUT_PATH = '/dev/uinput';

const ID: InputId = { bustype: BUS_VIRTUAL, vendor: 0, product: 0, version: 1 };

/**
 * An absolute tablet created through /dev/uinput: left, middle, right, side and extra buttons, a
 * wheel, and ABS_X/ABS_Y spanning the desktop. udev classifies it as an absolute mouse (like QEMU's
 * USB tablet), which X11 and Wayland compositors map onto the whole desktop.
 */
export class UinputDevice implements PointerDevice {
  private fd: number | undefined;
  private sink: EventSink | undefined;
  private readonly encoder = new InputEventEncoder();
  onBehind?: (behind: boolean) => void;

  constructor(readonly path: string = UINPUT_PATH) {}

  async open(size: TabletSize): Promise<void> {
    const libc = await loadLibc();
    const fd = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      create(libc, fd, size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.fd = fd;
    this.sink = new EventSink(fd, (behind) => this.onBehind?.(behind));
  }

  async resize(size: TabletSize): Promise<void> {
    // Axis ranges are fixed once a uinput device exists: destroy it and make a new one.
    await this.close();
    await this.open(size);
  }

  emit(events: readonly InputEvent[]): void {
    this.sink?.write(this.encoder.encode(events, nowMicros()));
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.sink?.close();
    this.sink = undefined;
    const libc = await loadLibc();
    try {
      libc.ioctlInt(fd, UI_DEV_DESTROY, 0, 'UI_DEV_DESTROY');
    } finally {
      closeSync(fd);
    }
  }
}

/** Declares the tablet's events and creates it on an open /dev/uinput descriptor. */
function create(libc: Libc, fd: number, size: TabletSize): void {
  const axes: AbsAxis[] = [
    { code: ABS_X, min: 0, max: Math.max(0, size.width - 1) },
    { code: ABS_Y, min: 0, max: Math.max(0, size.height - 1) },
  ];
  for (const type of [EV_KEY, EV_REL, EV_ABS]) libc.ioctlInt(fd, UI_SET_EVBIT, type, 'UI_SET_EVBIT');
  for (const button of TABLET_BUTTONS) libc.ioctlInt(fd, UI_SET_KEYBIT, button, 'UI_SET_KEYBIT');
  libc.ioctlInt(fd, UI_SET_RELBIT, REL_WHEEL, 'UI_SET_RELBIT');
  for (const a of axes) libc.ioctlInt(fd, UI_SET_ABSBIT, a.code, 'UI_SET_ABSBIT');
  if (uinputVersion(libc, fd) >= UINPUT_VERSION_SETUP) {
    libc.ioctlBuffer(fd, UI_DEV_SETUP, encodeUinputSetup(ID, TABLET_NAME), 'UI_DEV_SETUP');
    for (const a of axes) libc.ioctlBuffer(fd, UI_ABS_SETUP, encodeAbsSetup(a), 'UI_ABS_SETUP');
  } else {
    writeSync(fd, encodeUserDev(ID, TABLET_NAME, axes));
  }
  libc.ioctlInt(fd, UI_DEV_CREATE, 0, 'UI_DEV_CREATE');
}

/** The uinput protocol version; 0 on kernels too old to tell (before 4.5). */
function uinputVersion(libc: Libc, fd: number): number {
  const out = Buffer.alloc(4);
  try {
    libc.ioctlBuffer(fd, UI_GET_VERSION, out, 'UI_GET_VERSION');
  } catch (err) {
    if (err instanceof ErrnoError && err.code === 'EINVAL') return 0;
    throw err;
  }
  return out.readUInt32LE(0);
}
