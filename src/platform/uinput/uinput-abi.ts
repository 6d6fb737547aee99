/**
 * The uinput ABI of `linux/uinput.h`: ioctl request numbers and struct layouts, computed here
 * because Node cannot read C headers.
 *
 * Request numbers follow the asm-generic `_IOC` layout used by x86, arm, arm64, riscv and s390:
 * bits 0–7 number, 8–15 type ('U' = 0x55 for uinput), 16–29 argument size, 30–31 direction
 * (1 = write to the kernel, 2 = read from it). Their values:
 *
 * | request          | definition                                   | value        |
 * |------------------|----------------------------------------------|--------------|
 * | UI_DEV_CREATE    | _IO('U', 1)                                  | 0x00005501   |
 * | UI_DEV_DESTROY   | _IO('U', 2)                                  | 0x00005502   |
 * | UI_DEV_SETUP     | _IOW('U', 3, struct uinput_setup) (92 bytes) | 0x405c5503   |
 * | UI_ABS_SETUP     | _IOW('U', 4, struct uinput_abs_setup) (28)   | 0x401c5504   |
 * | UI_GET_VERSION   | _IOR('U', 45, unsigned int)                  | 0x8004552d   |
 * | UI_SET_EVBIT     | _IOW('U', 100, int)                          | 0x40045564   |
 * | UI_SET_KEYBIT    | _IOW('U', 101, int)                          | 0x40045565   |
 * | UI_SET_RELBIT    | _IOW('U', 102, int)                          | 0x40045566   |
 * | UI_SET_ABSBIT    | _IOW('U', 103, int)                          | 0x40045567   |
 */

const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;
const UINPUT_TYPE = 0x55; // 'U'

/** `_IOC(dir, type, nr, size)` of asm-generic/ioctl.h. */
export function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) >>> 0) + (size << 16) + (type << 8) + nr;
}

/** Size of `struct uinput_setup`: `struct input_id` (4 × u16), `char name[80]`, `u32 ff_effects_max`. */
export const UINPUT_SETUP_SIZE = 92;
/** Size of `struct uinput_abs_setup`: `u16 code`, 2 bytes padding, `struct input_absinfo` (6 × s32). */
export const UINPUT_ABS_SETUP_SIZE = 28;
/** Size of the legacy `struct uinput_user_dev`: name[80], input_id, ff_effects_max, then absmax/absmin/absfuzz/absflat[64] of s32. */
export const UINPUT_USER_DEV_SIZE = 1116;
/** `UINPUT_MAX_NAME_SIZE`. */
const NAME_SIZE = 80;
/** `ABS_CNT`. */
const ABS_CNT = 64;

/** The uinput ioctl requests the tablet uses. */
export const UI_DEV_CREATE = ioc(IOC_NONE, UINPUT_TYPE, 1, 0);
export const UI_DEV_DESTROY = ioc(IOC_NONE, UINPUT_TYPE, 2, 0);
export const UI_DEV_SETUP = ioc(IOC_WRITE, UINPUT_TYPE, 3, UINPUT_SETUP_SIZE);
export const UI_ABS_SETUP = ioc(IOC_WRITE, UINPUT_TYPE, 4, UINPUT_ABS_SETUP_SIZE);
export const UI_GET_VERSION = ioc(IOC_READ, UINPUT_TYPE, 45, 4);
export const UI_SET_EVBIT = ioc(IOC_WRITE, UINPUT_TYPE, 100, 4);
export const UI_SET_KEYBIT = ioc(IOC_WRITE, UINPUT_TYPE, 101, 4);
export const UI_SET_RELBIT = ioc(IOC_WRITE, UINPUT_TYPE, 102, 4);
export const UI_SET_ABSBIT = ioc(IOC_WRITE, UINPUT_TYPE, 103, 4);

/** The first uinput version with UI_DEV_SETUP and UI_ABS_SETUP (Linux 4.5). */
export const UINPUT_VERSION_SETUP = 5;

/** `struct input_id`. */
export interface InputId {
  bustype: number;
  vendor: number;
  product: number;
  version: number;
}

/** An absolute axis: its code and range. */
export interface AbsAxis {
  code: number;
  min: number;
  max: number;
}

/** `BUS_VIRTUAL` of linux/input.h. */
export const BUS_VIRTUAL = 0x06;

function writeName(buf: Buffer, offset: number, name: string): void {
  // NUL-terminated within the 80 bytes.
  buf.write(name, offset, Math.min(Buffer.byteLength(name), NAME_SIZE - 1), 'utf8');
}

/** Encodes `struct uinput_setup` for UI_DEV_SETUP. */
export function encodeUinputSetup(id: InputId, name: string): Buffer {
  const buf = Buffer.alloc(UINPUT_SETUP_SIZE);
  buf.writeUInt16LE(id.bustype, 0);
  buf.writeUInt16LE(id.vendor, 2);
  buf.writeUInt16LE(id.product, 4);
  buf.writeUInt16LE(id.version, 6);
  writeName(buf, 8, name);
  buf.writeUInt32LE(0, 88); // ff_effects_max
  return buf;
}

/** Encodes `struct uinput_abs_setup` for UI_ABS_SETUP (value, fuzz, flat and resolution 0). */
export function encodeAbsSetup(axis: AbsAxis): Buffer {
  const buf = Buffer.alloc(UINPUT_ABS_SETUP_SIZE);
  buf.writeUInt16LE(axis.code, 0);
  buf.writeInt32LE(0, 4); // value
  buf.writeInt32LE(axis.min, 8);
  buf.writeInt32LE(axis.max, 12);
  return buf;
}

/** Encodes the legacy `struct uinput_user_dev`, written to the device before UI_DEV_CREATE on kernels before 4.5. */
export function encodeUserDev(id: InputId, name: string, axes: readonly AbsAxis[]): Buffer {
  const buf = Buffer.alloc(UINPUT_USER_DEV_SIZE);
  writeName(buf, 0, name);
  buf.writeUInt16LE(id.bustype, 80);
  buf.writeUInt16LE(id.vendor, 82);
  buf.writeUInt16LE(id.product, 84);
  buf.writeUInt16LE(id.version, 86);
  buf.writeUInt32LE(0, 88); // ff_effects_max
  const absmax = 92;
  const absmin = absmax + 4 * ABS_CNT;
  for (const a of axes) {
    buf.writeInt32LE(a.max, absmax + 4 * a.code);
    buf.writeInt32LE(a.min, absmin + 4 * a.code);
  }
  return buf;
}
