import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CharDevicePort } from '../../../src/transport/chardev-port.js';
import { openPortFor } from '../../../src/transport/open-port.js';
import { openPtyPair } from '../../../src/transport/pty.js';
import { SerialPortPort } from '../../../src/transport/serial-port.js';

describe('openPortFor', () => {
  afterEach(() => vi.restoreAllMocks());

  it('uses serialport for a tty (a pty slave), without opening the port', () => {
    const pty = openPtyPair();
    try {
      const port = openPortFor(pty.slavePath);
      expect(port).toBeInstanceOf(SerialPortPort);
      expect(port.isOpen).toBe(false);
      expect(port.name).toBe(pty.slavePath);
    } finally {
      pty.close();
    }
  });

  it('uses a character-device port for a device that is not a tty', () => {
    expect(openPortFor('/dev/null')).toBeInstanceOf(CharDevicePort);
  });

  it('uses a character-device port when the path cannot be opened (open() reports why)', () => {
    expect(openPortFor('/nonexistent/vport2p1')).toBeInstanceOf(CharDevicePort);
  });

  it('does not trial-open a device that sysfs files under virtio-ports', () => {
    const sys = fs.mkdtempSync(join(tmpdir(), 'vdagent-sysdev-'));
    try {
      // /dev/null is 1:3; pretend sysfs says it is a virtio port.
      fs.mkdirSync(join(sys, '1:3'));
      fs.symlinkSync('../../../class/virtio-ports', join(sys, '1:3', 'subsystem'));
      const opens = vi.spyOn(fs, 'openSync');
      expect(openPortFor('/dev/null', { sysDevCharDir: sys })).toBeInstanceOf(CharDevicePort);
      expect(opens).not.toHaveBeenCalled();
      // Lent reads when the consumer asks (the SPICE daemon); copies otherwise (the guest-agent port).
      expect(openPortFor('/dev/null', { sysDevCharDir: sys, lendReads: true }).lendsReads).toBe(true);
      expect(openPortFor('/dev/null', { sysDevCharDir: sys }).lendsReads).toBe(false);
    } finally {
      fs.rmSync(sys, { recursive: true, force: true });
    }
  });
});
