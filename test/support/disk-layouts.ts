import type { FakeBlockSysfs } from './sysfs.js';

/** How QEMU machines place a disk, as sysfs shows it; each takes the disk's `major:minor`. */
export const DISK_LAYOUTS: Readonly<Record<string, (dev: string) => FakeBlockSysfs>> = {
  'q35 virtio-blk behind a PCIe root port': (dev) => ({
    drivers: { 'pci0000:00/0000:00:01.2': 'pcieport', 'pci0000:00/0000:00:01.2/0000:03:00.0': 'virtio-pci' },
    devices: [{ path: 'pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda', dev }],
  }),
  'pc virtio-blk on the root bus': (dev) => ({
    drivers: { 'pci0000:00/0000:00:05.0': 'virtio-pci' },
    devices: [{ path: 'pci0000:00/0000:00:05.0/virtio1/block/vda', dev }],
  }),
  'q35 virtio-scsi behind a PCIe root port': (dev) => ({
    drivers: { 'pci0000:00/0000:00:01.3': 'pcieport', 'pci0000:00/0000:00:01.3/0000:04:00.0': 'virtio-pci' },
    devices: [{ path: 'pci0000:00/0000:00:01.3/0000:04:00.0/virtio3/host2/target2:0:1/2:0:1:3/block/sdb', dev }],
  }),
  'q35 SATA on the third AHCI port': (dev) => ({
    drivers: { 'pci0000:00/0000:00:1f.2': 'ahci' },
    dirs: ['pci0000:00/0000:00:1f.2/ata1', 'pci0000:00/0000:00:1f.2/ata2', 'pci0000:00/0000:00:1f.2/ata10'],
    devices: [{ path: 'pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sdc', dev }],
  }),
  'pc IDE, secondary bus, slave': (dev) => ({
    drivers: { 'pci0000:00/0000:00:01.1': 'ata_piix' },
    dirs: ['pci0000:00/0000:00:01.1/ata1'],
    devices: [{ path: 'pci0000:00/0000:00:01.1/ata2/host1/target1:0:1/1:0:1:0/block/sdd', dev }],
  }),
  'q35 NVMe behind a PCIe root port': (dev) => ({
    drivers: { 'pci0000:00/0000:00:01.4': 'pcieport', 'pci0000:00/0000:00:01.4/0000:05:00.0': 'nvme' },
    devices: [{ path: 'pci0000:00/0000:00:01.4/0000:05:00.0/nvme/nvme0/nvme0n1', dev }],
  }),
  'virtio-mmio, off PCI': (dev) => ({ devices: [{ path: 'platform/a003e00.virtio_mmio/virtio1/block/vda', dev }] }),
  's390 virtio-blk on a channel subsystem': (dev) => ({ devices: [{ path: 'css0/0.1.0002/0.1.00a3/virtio0/block/vda', dev }] }),
};
