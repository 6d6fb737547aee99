import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakePointerDevice } from '../../../../src/platform/uinput/fake-device.js';
import { decodeInputEvents, EV_ABS, EV_SYN, ABS_X } from '../../../../src/platform/uinput/input-event.js';
import { ErrnoError } from '../../../../src/platform/errno.js';
import { loadLibc } from '../../../../src/platform/load-libc.js';
import { UI_GET_VERSION, UI_SET_EVBIT } from '../../../../src/platform/uinput/uinput-abi.js';
import { UinputDevice } from '../../../../src/platform/uinput/uinput-device.js';

describe('libc ioctl through koffi', () => {
  it('reaches the kernel: an ioctl on /dev/null fails with ENOTTY', async () => {
    const libc = await loadLibc();
    const file = await open('/dev/null', 'w');
    try {
      expect(() => libc.ioctlInt(file.fd, UI_SET_EVBIT, 1, 'UI_SET_EVBIT')).toThrow(expect.objectContaining({ code: 'ENOTTY' }));
      expect(() => libc.ioctlBuffer(file.fd, UI_GET_VERSION, Buffer.alloc(4), 'UI_GET_VERSION')).toThrow(ErrnoError);
    } finally {
      await file.close();
    }
  });
});

describe('the uinput tablet', () => {
  it('rejects when the device node is missing (no uinput on this machine)', async () => {
    await expect(new UinputDevice('/nonexistent/uinput').open({ width: 1024, height: 768 })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects, and closes what it opened, when the node is not uinput', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    await expect(new UinputDevice('/dev/null').open({ width: 1024, height: 768 })).rejects.toMatchObject({ code: 'ENOTTY' });
    expect(fds()).toBe(before);
  });
});

describe('the fake tablet (--fake-uinput)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fake-uinput-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends input_event records to its file, across re-creations', async () => {
    const path = join(dir, 'events');
    const device = new FakePointerDevice(path);
    await device.open({ width: 1024, height: 768 });
    device.emit([{ type: EV_ABS, code: ABS_X, value: 5 }, { type: EV_SYN, code: 0, value: 0 }]);
    await device.resize({ width: 2048, height: 768 });
    device.emit([{ type: EV_ABS, code: ABS_X, value: 2000 }]);
    await device.close();
    expect(decodeInputEvents(readFileSync(path)).map(({ type, code, value }) => [type, code, value])).toEqual([
      [EV_ABS, ABS_X, 5],
      [EV_SYN, 0, 0],
      [EV_ABS, ABS_X, 2000],
    ]);
    expect(device.created).toEqual([
      { width: 1024, height: 768 },
      { width: 2048, height: 768 },
    ]);
  });

  it('waits for the reader of a FIFO before it counts as created', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const device = new FakePointerDevice(fifo);
    let created = false;
    const opening = device.open({ width: 800, height: 600 }).then(() => (created = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(created).toBe(false);
    const reader = await open(fifo, 'r');
    await opening;
    device.emit([{ type: EV_SYN, code: 0, value: 0 }]);
    const { buffer, bytesRead } = await reader.read(Buffer.alloc(64), 0, 64);
    expect(bytesRead).toBe(24);
    expect(decodeInputEvents(buffer.subarray(0, bytesRead))[0]).toMatchObject({ type: EV_SYN });
    await device.close();
    await reader.close();
  });
});
