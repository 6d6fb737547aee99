import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeviceAddress, pciPathOfSysfs, samePciPath } from '../../../src/desktop/device-address.js';
import { DisplayMap, outputNames } from '../../../src/desktop/display-map.js';
import { writeDrmSysfs } from '../../support/sysfs.js';

describe('device addresses', () => {
  it('parses the GRAPHICS_DEVICE_INFO form, bridges included', () => {
    expect(parseDeviceAddress('pci/0000/02.0')).toEqual({ domain: 0, steps: [{ slot: 2, fn: 0 }] });
    expect(parseDeviceAddress('pci/0001/1c.4/00.0')).toEqual({ domain: 1, steps: [{ slot: 0x1c, fn: 4 }, { slot: 0, fn: 0 }] });
    for (const bad of ['', 'pci', 'pci/0000', 'usb/0000/02.0', 'pci/0000/02', 'pci/0000/02.8', 'pci/zz/02.0']) expect(parseDeviceAddress(bad)).toBeUndefined();
  });

  it('reads the same path out of a sysfs device path', () => {
    expect(pciPathOfSysfs('/sys/devices/pci0000:00/0000:00:02.0')).toEqual({ domain: 0, steps: [{ slot: 2, fn: 0 }] });
    const bridged = pciPathOfSysfs('/sys/devices/pci0000:00/0000:00:1c.4/0000:03:00.0');
    expect(samePciPath(bridged!, parseDeviceAddress('pci/0000/1c.4/00.0')!)).toBe(true);
    expect(samePciPath(bridged!, parseDeviceAddress('pci/0000/1c.4')!)).toBe(false);
    expect(pciPathOfSysfs('/sys/devices/platform/simple-framebuffer.0')).toBeUndefined();
  });
});

describe('display map', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sysfs-'));
    writeDrmSysfs(root, [
      { name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: [{ name: 'Virtual-1' }, { name: 'Virtual-2' }] },
      { name: 'card1', pci: 'pci0000:00/0000:00:1c.0/0000:01:00.0', connectors: [{ name: 'Virtual-1' }] },
    ]);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('maps display ids (channel + monitor) to the connector of the matching card, device_display_id indexing its connectors', () => {
    const map = new DisplayMap(root);
    const mapped = map.setDevices([
      { channelId: 0, monitorId: 0, deviceDisplayId: 1, deviceAddress: 'pci/0000/02.0' },
      { channelId: 1, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' },
      { channelId: 2, monitorId: 0, deviceDisplayId: 5, deviceAddress: 'pci/0000/02.0' },
      { channelId: 3, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/09.0' },
    ]);
    expect(mapped).toEqual([0, 1]);
    expect(map.connectorFor(0)).toBe('Virtual-2');
    expect(map.connectorFor(1)).toBe('Virtual-1');
    expect(map.connectorFor(2)).toBeUndefined();
  });

  it('finds the output of a mapped display by name, X driver spellings too', () => {
    const map = new DisplayMap(root);
    map.setDevices([{ channelId: 0, monitorId: 0, deviceDisplayId: 1, deviceAddress: 'pci/0000/02.0' }]);
    expect(map.mappedOutput(0, ['Virtual-1', 'Virtual-2'])).toBe(1);
    expect(map.mappedOutput(0, ['qxl-0', 'qxl-1'])).toBe(1);
    expect(map.mappedOutput(0, ['DUMMY0'])).toBeUndefined();
    expect(map.mappedOutput(1, ['Virtual-1', 'Virtual-2'])).toBeUndefined();
    expect(outputNames('HDMI-A-2')).toEqual(['HDMI-A-2', 'HDMI-2']);
  });

  it('assigns each display its own output: mapped ones first, then the rest in order, none left over for extras', () => {
    const map = new DisplayMap(root);
    map.setDevices([{ channelId: 0, monitorId: 1, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' }]);
    const outputs = ['Virtual-1', 'Virtual-2', 'Virtual-3'];
    expect([...map.assign([0, 1, 2, 3], outputs)].sort()).toEqual([
      [0, 1],
      [1, 0],
      [2, 2],
    ]);
  });
});
