import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statfsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { jsonInt, jsonObject, type JsonObject, type JsonValue } from '../../qga/index.js';
import { localMounts, type LocalMount } from './mounts.js';

/** Where fsinfo reads the kernel's and udev's view; overridable for tests. */
export interface FsInfoDirs {
  sys?: string;
  udevData?: string;
}

/** Bus types by the PCI driver of the controller a disk hangs off. */
const BUS_BY_DRIVER: Readonly<Record<string, string>> = {
  ata_piix: 'ide',
  ahci: 'sata',
  nvme: 'nvme',
  sym53c8xx: 'scsi',
  'virtio-pci': 'virtio',
  xhci_hcd: 'usb',
  ehci_hcd: 'usb',
  'ehci-pci': 'usb',
  uhci_hcd: 'usb',
};

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** A udev property of a block device from udev's database. */
function udevProperty(dir: string, major: number, minor: number, key: string): string | undefined {
  const line = read(`${dir}/b${major}:${minor}`)
    ?.split('\n')
    .find((l) => l.startsWith(`E:${key}=`));
  return line?.slice(key.length + 3);
}

/** The GuestDiskAddress of a whole disk's sysfs directory, or undefined when it has no controller. */
function diskAddress(disk: string, dirs: Required<FsInfoDirs>): JsonObject | undefined {
  const m = /\/devices\/pci([0-9a-f]{4}):([0-9a-f]{2})\/([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-9a-f])\//.exec(disk);
  if (!m) return undefined;
  const [, , , domain = '0', bus = '0', slot = '0', fn = '0'] = m;
  const controller = disk.slice(0, m.index + m[0].length - 1);
  let driver = '';
  try {
    driver = basename(readlinkSync(`${controller}/driver`));
  } catch {
    // no driver bound
  }
  const scsi = /\/host\d+\/target\d+:\d+:\d+\/\d+:(\d+):(\d+):(\d+)\//.exec(disk);
  let busType = BUS_BY_DRIVER[driver] ?? 'unknown';
  if (scsi && busType === 'virtio') busType = 'scsi';
  const [devMajor, devMinor] = (read(`${disk}/dev`) ?? '0:0').split(':').map(Number);
  const devName = /^DEVNAME=(.*)$/m.exec(read(`${disk}/uevent`) ?? '')?.[1];
  return jsonObject({
    'pci-controller': jsonObject({ domain: parseInt(domain, 16), bus: parseInt(bus, 16), slot: parseInt(slot, 16), function: parseInt(fn, 16) }),
    'bus-type': busType,
    bus: scsi ? Number(scsi[1]) : 0,
    target: scsi ? Number(scsi[2]) : 0,
    unit: scsi ? Number(scsi[3]) : 0,
    serial: udevProperty(dirs.udevData, devMajor ?? 0, devMinor ?? 0, 'ID_SERIAL'),
    dev: devName ? `/dev/${devName}` : undefined,
  });
}

/** The disks under a block device: itself (its whole disk), or for dm/md volumes the devices beneath. */
function disksOf(device: string, dirs: Required<FsInfoDirs>, depth = 0): JsonObject[] {
  const whole = existsSync(`${device}/partition`) ? dirname(device) : device;
  let slaves: string[] = [];
  try {
    slaves = readdirSync(`${whole}/slaves`);
  } catch {
    // not a stacked device
  }
  if (slaves.length > 0 && depth < 8) return slaves.flatMap((s) => disksOf(realpathSync(`${whole}/slaves/${s}`), dirs, depth + 1));
  const address = diskAddress(whole, dirs);
  return address ? [address] : [];
}

/** One GuestFilesystemInfo. */
function filesystem(mount: LocalMount, dirs: Required<FsInfoDirs>): JsonObject {
  let device = '';
  try {
    device = realpathSync(`${dirs.sys}/dev/block/${mount.major}:${mount.minor}`);
  } catch {
    // a device sysfs does not know
  }
  let used: bigint | undefined;
  let total: bigint | undefined;
  try {
    const s = statfsSync(mount.dir, { bigint: true });
    used = (s.blocks - s.bfree) * s.bsize;
    total = used + s.bavail * s.bsize;
  } catch {
    // no sizes
  }
  return jsonObject({
    name: device ? basename(device) : `${mount.major}:${mount.minor}`,
    mountpoint: mount.dir,
    type: mount.type,
    'used-bytes': used === undefined ? undefined : jsonInt(used),
    'total-bytes': total === undefined ? undefined : jsonInt(total),
    disk: device ? disksOf(device, dirs) : [],
  });
}

/** guest-get-fsinfo: the local filesystems, last mounted first. */
export function fsInfo(mounts: LocalMount[] = localMounts(), dirs: FsInfoDirs = {}): JsonValue {
  const all = { sys: dirs.sys ?? '/sys', udevData: dirs.udevData ?? '/run/udev/data' };
  return mounts.reverse().map((m) => filesystem(m, all));
}
