import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsInfo } from '../../../../src/actions/admin/fsinfo.js';
import { encodeJson } from '../../../../src/qga/index.js';
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

  it('q35: a virtio-blk disk behind a PCIe root port is at its own function, not the port', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:01.2': 'pcieport', 'pci0000:00/0000:00:01.2/0000:03:00.0': 'virtio-pci' },
      devices: [
        { path: 'pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda', dev: '254:0' },
        { path: 'pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda/vda1', dev: '254:1', partition: true },
      ],
    };
    expect(mapped(tree, '254:0')).toEqual({ name: 'vda', disk: [disk([0, 3, 0, 0], 'virtio', { dev: '/dev/vda' })] });
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

  it('pc: a virtio-blk function on the root bus', () => {
    const tree = { drivers: { 'pci0000:00/0000:00:05.0': 'virtio-pci' }, devices: [{ path: 'pci0000:00/0000:00:05.0/virtio1/block/vda', dev: '254:0' }] };
    expect(mapped(tree, '254:0').disk).toEqual([disk([0, 0, 5, 0], 'virtio', { dev: '/dev/vda' })]);
  });

  it('virtio-scsi behind a root port: bus type scsi, the unit from the LUN of the SCSI address', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:01.3': 'pcieport', 'pci0000:00/0000:00:01.3/0000:04:00.0': 'virtio-pci' },
      devices: [{ path: 'pci0000:00/0000:00:01.3/0000:04:00.0/virtio3/host2/target2:0:1/2:0:1:3/block/sdb', dev: '8:16' }],
    };
    expect(mapped(tree, '8:16').disk).toEqual([disk([0, 4, 0, 0], 'scsi', { unit: 3, dev: '/dev/sdb' })]);
  });

  it('SATA: the unit is the AHCI port, counted among the controller’s ports', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:1f.2': 'ahci' },
      dirs: ['pci0000:00/0000:00:1f.2/ata1', 'pci0000:00/0000:00:1f.2/ata2', 'pci0000:00/0000:00:1f.2/ata10'],
      devices: [{ path: 'pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sdc', dev: '8:32' }],
    };
    expect(mapped(tree, '8:32').disk).toEqual([disk([0, 0, 0x1f, 2], 'sata', { unit: 2, dev: '/dev/sdc' })]);
  });

  it('IDE: the bus is the ATA port’s place on the controller, the unit the SCSI target', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:01.1': 'ata_piix' },
      dirs: ['pci0000:00/0000:00:01.1/ata1'],
      devices: [{ path: 'pci0000:00/0000:00:01.1/ata2/host1/target1:0:1/1:0:1:0/block/sdd', dev: '8:48' }],
    };
    expect(mapped(tree, '8:48').disk).toEqual([disk([0, 0, 1, 1], 'ide', { bus: 1, unit: 1, dev: '/dev/sdd' })]);
  });

  it('NVMe behind a root port', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:01.4': 'pcieport', 'pci0000:00/0000:00:01.4/0000:05:00.0': 'nvme' },
      devices: [{ path: 'pci0000:00/0000:00:01.4/0000:05:00.0/nvme/nvme0/nvme0n1', dev: '259:0' }],
    };
    expect(mapped(tree, '259:0').disk).toEqual([disk([0, 5, 0, 0], 'nvme', { dev: '/dev/nvme0n1' })]);
  });

  it('an unknown controller leaves the PCI address unset and the bus unknown, keeping node and udev serial', () => {
    const tree = {
      drivers: { 'pci0000:00/0000:00:01.2': 'pcieport', 'pci0000:00/0000:00:01.2/0000:03:00.0': 'mystery' },
      devices: [{ path: 'pci0000:00/0000:00:01.2/0000:03:00.0/block/xda', dev: '240:0' }],
    };
    writeFileSync(join(udevData, 'b240:0'), 'S:disk/by-id/x\nE:ID_SERIAL=QM00001\nE:ID_TYPE=disk\n');
    expect(mapped(tree, '240:0').disk).toEqual([disk(null, 'unknown', { serial: 'QM00001', dev: '/dev/xda' })]);
  });

  it('a virtio disk off PCI (virtio-mmio)', () => {
    const tree = { devices: [{ path: 'platform/a003e00.virtio_mmio/virtio1/block/vda', dev: '254:0' }] };
    expect(mapped(tree, '254:0').disk).toEqual([disk(null, 'virtio', { dev: '/dev/vda' })]);
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
