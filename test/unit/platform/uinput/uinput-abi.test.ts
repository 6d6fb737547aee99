import { describe, expect, it } from 'vitest';
import {
  BUS_VIRTUAL,
  encodeAbsSetup,
  encodeUinputSetup,
  encodeUserDev,
  ioc,
  UI_ABS_SETUP,
  UI_DEV_CREATE,
  UI_DEV_DESTROY,
  UI_DEV_SETUP,
  UI_GET_VERSION,
  UI_SET_ABSBIT,
  UI_SET_EVBIT,
  UI_SET_KEYBIT,
  UI_SET_RELBIT,
  UINPUT_ABS_SETUP_SIZE,
  UINPUT_SETUP_SIZE,
  UINPUT_USER_DEV_SIZE,
} from '../../../../src/platform/uinput/uinput-abi.js';
import { ABS_X, ABS_Y } from '../../../../src/platform/uinput/input-event.js';

describe('uinput ioctl numbers', () => {
  it('are the values linux/uinput.h gives on x86-64 and arm64', () => {
    expect(UI_DEV_CREATE).toBe(0x5501);
    expect(UI_DEV_DESTROY).toBe(0x5502);
    expect(UI_DEV_SETUP).toBe(0x405c5503);
    expect(UI_ABS_SETUP).toBe(0x401c5504);
    expect(UI_GET_VERSION).toBe(0x8004552d);
    expect(UI_SET_EVBIT).toBe(0x40045564);
    expect(UI_SET_KEYBIT).toBe(0x40045565);
    expect(UI_SET_RELBIT).toBe(0x40045566);
    expect(UI_SET_ABSBIT).toBe(0x40045567);
  });

  it('come from the generic _IOC layout, as evdev requests do too', () => {
    // EVIOCGVERSION = _IOR('E', 0x01, int), EVIOCGRAB = _IOW('E', 0x90, int)
    expect(ioc(2, 0x45, 0x01, 4)).toBe(0x80044501);
    expect(ioc(1, 0x45, 0x90, 4)).toBe(0x40044590);
  });
});

describe('uinput struct layouts', () => {
  it('struct uinput_setup: input_id, then the name, then ff_effects_max, 92 bytes', () => {
    const b = encodeUinputSetup({ bustype: BUS_VIRTUAL, vendor: 0x1234, product: 0x5678, version: 3 }, 'vdagent tablet');
    expect(b.length).toBe(UINPUT_SETUP_SIZE);
    expect(b.subarray(0, 8)).toEqual(Buffer.from([0x06, 0x00, 0x34, 0x12, 0x78, 0x56, 0x03, 0x00]));
    expect(b.subarray(8, 8 + 15).toString('latin1')).toBe('vdagent tablet\0');
    expect(b.readUInt32LE(88)).toBe(0);
  });

  it('keeps the name NUL-terminated inside its 80 bytes', () => {
    const b = encodeUinputSetup({ bustype: 0, vendor: 0, product: 0, version: 0 }, 'x'.repeat(200));
    expect(b.subarray(8, 87).toString('latin1')).toBe('x'.repeat(79));
    expect(b[87]).toBe(0);
  });

  it('struct uinput_abs_setup: code, 2 bytes of padding, then input_absinfo (value, min, max, fuzz, flat, resolution)', () => {
    const b = encodeAbsSetup({ code: ABS_Y, min: 0, max: 1079 });
    expect(b.length).toBe(UINPUT_ABS_SETUP_SIZE);
    expect([...b]).toEqual([1, 0, 0, 0, ...[0, 0, 1079, 0, 0, 0].flatMap((v) => [...Buffer.from(new Int32Array([v]).buffer)])]);
  });

  it('legacy struct uinput_user_dev: name, input_id, ff_effects_max, then absmax/absmin/absfuzz/absflat[64], 1116 bytes', () => {
    const b = encodeUserDev({ bustype: BUS_VIRTUAL, vendor: 0, product: 0, version: 1 }, 'vdagent tablet', [
      { code: ABS_X, min: 0, max: 2047 },
      { code: ABS_Y, min: 0, max: 767 },
    ]);
    expect(b.length).toBe(UINPUT_USER_DEV_SIZE);
    expect(b.subarray(0, 15).toString('latin1')).toBe('vdagent tablet\0');
    expect(b.readUInt16LE(80)).toBe(BUS_VIRTUAL);
    expect(b.readUInt16LE(86)).toBe(1);
    expect(b.readInt32LE(92 + 4 * ABS_X)).toBe(2047); // absmax[ABS_X]
    expect(b.readInt32LE(92 + 4 * ABS_Y)).toBe(767); // absmax[ABS_Y]
    expect(b.readInt32LE(92 + 256 + 4 * ABS_Y)).toBe(0); // absmin[ABS_Y]
  });
});
