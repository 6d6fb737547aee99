import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsInfo } from '../../../../src/actions/admin/fsinfo.js';
import { encodeJson } from '../../../../src/qga/index.js';
import { DISK_LAYOUTS } from '../../../support/disk-layouts.js';
import { writeBlockSysfs, type FakeBlockSysfs } from '../../../support/sysfs.js';

/** A disk address as qemu-ga answers it, from the fields that differ between disks. */
const disk = (pci: [number, number, number, number] | null, busType: string, more: Record<string, unknown> = {}): Record<string, unknown> => ({
  'pci-controller': pci ? { domain: pci[0], bus: pci[1], slot: pci[2], function: pci[3] } : { domain: -1, bus: -1, slot: -1, function: -1 },
  'bus-type': busType,
  bus: 0,
  target: 0,
  unit: 0,
  ...more,
});

describe('guest-get-fsinfo maps each filesystem to its disk as qemu-ga does', () => {
  let root: string;
  let sys: string;
  let udevData: string;
  beforeEach(() => {
    root = mkdtempSync(join(os.tmpdir(), 'fsinfo-'));
    sys = join(root, 'sys');
    udevData = join(root, 'udev');
    mkdirSync(udevData);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** The `disk` list and name of the filesystem on device `dev` of the tree. */
  function mapped(tree: FakeBlockSysfs, dev: string): { name: string; disk: unknown[] } {
    writeBlockSysfs(sys, tree);
    const [major = 0, minor = 0] = dev.split(':').map(Number);
    const [fs] = JSON.parse(encodeJson(fsInfo([{ dir: root, type: 'ext4', source: '/dev/x', major, minor }], { sys, udevData }))) as { name: string; disk: unknown[] }[];
    if (!fs) throw new Error('no filesystem');
    return { name: fs.name, disk: fs.disk };
  }

  /** What qemu-ga 7.2 answers for each layout (checked by running it with the layout mounted over /sys). */
  const EXPECTED: Record<string, Record<string, unknown>> = {
    'q35 virtio-blk behind a PCIe root port': disk([0, 3, 0, 0], 'virtio', { dev: '/dev/vda' }),
    'pc virtio-blk on the root bus': disk([0, 0, 5, 0], 'virtio', { dev: '/dev/vda' }),
    'q35 virtio-scsi behind a PCIe root port': disk([0, 4, 0, 0], 'scsi', { unit: 3, dev: '/dev/sdb' }),
    'q35 SATA on the third AHCI port': disk([0, 0, 0x1f, 2], 'sata', { unit: 2, dev: '/dev/sdc' }),
    'pc IDE, secondary bus, slave': disk([0, 0, 1, 1], 'ide', { bus: 1, unit: 1, dev: '/dev/sdd' }),
    'q35 NVMe behind a PCIe root port': disk([0, 5, 0, 0], 'nvme', { dev: '/dev/nvme0n1' }),
    'virtio-mmio, off PCI': disk(null, 'virtio', { dev: '/dev/vda' }),
    's390 virtio-blk on a channel subsystem': disk(null, 'virtio', { dev: '/dev/vda', 'ccw-address': { cssid: 0, ssid: 1, subchno: 2, devno: 0xa3 } }),
  };

  it.each(Object.entries(DISK_LAYOUTS))('%s: the disk’s own controller, bus type and SCSI/ATA place', (layout, tree) => {
    expect(mapped(tree('8:0'), '8:0').disk).toEqual([EXPECTED[layout]]);
  });

  it('a partition is reported with its own device node', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:01.2': 'pcieport', 'pci0000:00/0000:00:01.2/0000:03:00.0': 'virtio-pci' },
      devices: [
        { path: 'pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda', dev: '254:0' },
        { path: 'pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda/vda1', dev: '254:1', partition: true },
      ],
    };
    expect(mapped(tree, '254:1')).toEqual({ name: 'vda1', disk: [disk([0, 3, 0, 0], 'virtio', { dev: '/dev/vda1' })] });
  });

  it('an unknown controller leaves the PCI address unset and the bus unknown, keeping node and udev serial', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:01.2': 'pcieport', 'pci0000:00/0000:00:01.2/0000:03:00.0': 'mystery' },
      devices: [{ path: 'pci0000:00/0000:00:01.2/0000:03:00.0/block/xda', dev: '240:0' }],
    };
    writeFileSync(join(udevData, 'b240:0'), 'S:disk/by-id/x\nE:ID_SERIAL=QM00001\nE:ID_TYPE=disk\n');
    expect(mapped(tree, '240:0').disk).toEqual([disk(null, 'unknown', { serial: 'QM00001', dev: '/dev/xda' })]);
  });

  it('a device-mapper volume maps to every partition beneath it', () => {
    const vdb1 = 'pci0000:00/0000:00:01.3/0000:04:00.0/virtio3/block/vdb/vdb1';
    const vda2 = 'pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda/vda2';
    const tree = {
      drivers: {
        'pci0000:00/0000:00:01.2': 'pcieport',
        'pci0000:00/0000:00:01.2/0000:03:00.0': 'virtio-pci',
        'pci0000:00/0000:00:01.3': 'pcieport',
        'pci0000:00/0000:00:01.3/0000:04:00.0': 'virtio-pci',
      },
      devices: [
        { path: 'pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda', dev: '254:0' },
        { path: vda2, dev: '254:2', partition: true },
        { path: 'pci0000:00/0000:00:01.3/0000:04:00.0/virtio3/block/vdb', dev: '254:16' },
        { path: vdb1, dev: '254:17', partition: true },
        { path: 'virtual/block/dm-0', dev: '253:0', slaves: [vda2, vdb1] },
      ],
    };
    writeFileSync(join(udevData, 'b254:17'), 'E:ID_SERIAL=serial-b\n');
    const { name, disk: disks } = mapped(tree, '253:0');
    expect(name).toBe('dm-0');
    expect(new Set(disks)).toEqual(new Set([disk([0, 3, 0, 0], 'virtio', { dev: '/dev/vda2' }), disk([0, 4, 0, 0], 'virtio', { dev: '/dev/vdb1', serial: 'serial-b' })]));
  });

  it('a device sysfs does not know is named by its numbers, with no disk', () => {
    writeBlockSysfs(sys, { devices: [] });
    const [fs] = JSON.parse(encodeJson(fsInfo([{ dir: root, type: 'ext4', source: '/dev/x', major: 9, minor: 9 }], { sys, udevData }))) as { name: string; disk: unknown[] }[];
    expect(fs).toMatchObject({ name: '9:9', disk: [] });
  });
});
