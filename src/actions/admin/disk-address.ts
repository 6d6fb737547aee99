import { readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { jsonObject, type JsonObject } from '../../qga/index.js';
import { readAttribute } from './proc-text.js';

/** PCI drivers of the disk controllers qemu-ga recognises, with the bus type each implies. */
const CONTROLLERS: Readonly<Record<string, string>> = {
  ata_piix: 'ide',
  sym53c8xx: 'scsi',
  'virtio-pci': 'virtio',
  ahci: 'sata',
  nvme: 'nvme',
  xhci_hcd: 'usb',
  'ehci-pci': 'usb',
};

/** One PCI function in a sysfs path: `/dddd:bb:ss.f`. */
const PCI_FUNCTION = /^\/([0-9a-f]+):([0-9a-f]+):([0-9a-f]+)\.([0-9a-f]+)/i;

/** The address qemu-ga gives a disk it cannot place on a PCI bus. */
const NO_PCI = { domain: -1, bus: -1, slot: -1, function: -1 };

/** What a disk address is made of, before it is encoded. */
interface Placement {
  pci: typeof NO_PCI;
  busType: string;
  bus: number;
  target: number;
  unit: number;
  ccw?: JsonObject;
}

/** The name of the driver bound to a sysfs device, or undefined. */
function driverOf(device: string): string | undefined {
  try {
    return basename(readlinkSync(`${device}/driver`));
  } catch {
    return undefined;
  }
}

/** The numbers of the SCSI address `/targetH:C:T/H:C:T:L` in a path: channel, target and LUN. */
function scsiAddress(syspath: string): [number, number, number] | undefined {
  const at = syspath.indexOf('/target');
  const m = at < 0 ? null : /^\d+:\d+:\d+\/\d+:(\d+):(\d+):(\d+)/.exec(syspath.slice(at + 7));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * The position of the disk's ATA port (`/ataN`), or else of its SCSI host (`/hostN`), among its
 * siblings of that kind in numeric order: the IDE bus or the AHCI port.
 */
function hostIndex(syspath: string): number | undefined {
  const ata = syspath.indexOf('/ata');
  const kind = ata >= 0 ? 'ata' : 'host';
  const at = ata >= 0 ? ata : syspath.indexOf('/host');
  const host = at < 0 ? undefined : /^\d+/.exec(syspath.slice(at + kind.length + 1))?.[0];
  if (host === undefined) return undefined;
  let siblings: number[] = [];
  try {
    siblings = readdirSync(syspath.slice(0, at))
      .map((name) => new RegExp(`^${kind}(\\d+)`).exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return undefined;
  }
  const index = siblings.indexOf(Number(host));
  return index < 0 ? undefined : index;
}

/**
 * Places a disk on a PCI bus at the first function along its path, from the root bus down through
 * bridges and root ports, that is bound to a disk controller's driver; false when none is, or when
 * the disk's SCSI or ATA address does not fit that controller.
 */
function onPci(syspath: string, placement: Placement): boolean {
  const root = syspath.indexOf('/devices/pci');
  let at = root < 0 ? -1 : syspath.indexOf('/', root + 12);
  if (at < 0) return false;
  let driver: string | undefined;
  for (let m = PCI_FUNCTION.exec(syspath.slice(at)); m; m = PCI_FUNCTION.exec(syspath.slice(at))) {
    at += m[0].length;
    driver = driverOf(syspath.slice(0, at));
    if (driver !== undefined && driver in CONTROLLERS) {
      const [domain, bus, slot, fn] = m.slice(1).map((x) => parseInt(x, 16));
      placement.pci = { domain: domain ?? 0, bus: bus ?? 0, slot: slot ?? 0, function: fn ?? 0 };
      break;
    }
    driver = undefined;
  }
  if (driver === undefined) return false;
  const scsi = scsiAddress(syspath);
  const host = hostIndex(syspath);
  switch (driver) {
    case 'ata_piix':
      // A host per IDE bus; the unit is the SCSI target.
      if (!scsi || host === undefined) return false;
      Object.assign(placement, { busType: 'ide', bus: host, unit: scsi[1] });
      return true;
    case 'sym53c8xx':
      if (!scsi) return false;
      Object.assign(placement, { busType: 'scsi', unit: scsi[1] });
      return true;
    case 'virtio-pci':
      // virtio-scsi when the disk has a SCSI address, else virtio-blk (a device per disk).
      Object.assign(placement, scsi ? { busType: 'scsi', unit: scsi[2] } : { busType: 'virtio' });
      return true;
    case 'ahci':
      // A host per port; the unit is the port.
      if (!scsi || host === undefined) return false;
      Object.assign(placement, { busType: 'sata', unit: host });
      return true;
    default:
      placement.busType = CONTROLLERS[driver] ?? 'unknown';
      return true;
  }
}

/** A virtio disk off the PCI bus (virtio-mmio, s390 channel I/O). */
function onVirtio(syspath: string, placement: Placement): boolean {
  if (!syspath.includes('/virtio') || !syspath.includes('/block')) return false;
  const scsi = scsiAddress(syspath);
  Object.assign(placement, scsi ? { busType: 'scsi', bus: scsi[0], target: scsi[1], unit: scsi[2] } : { busType: 'virtio' });
  return true;
}

/** A disk on an s390 channel subsystem (`/devices/css0/0.0.0000/0.0.0000/`). */
function onCcw(syspath: string, placement: Placement): boolean {
  const at = syspath.indexOf('/devices/css');
  const m = at < 0 ? null : /^[0-9a-f]+\/([0-9a-f]+)\.([0-9a-f]+)\.([0-9a-f]+)\/[0-9a-f]+\.[0-9a-f]+\.([0-9a-f]+)\//i.exec(syspath.slice(at + 12));
  if (!m) return false;
  const [cssid, ssid, subchno, devno] = m.slice(1).map((x) => parseInt(x, 16));
  placement.ccw = jsonObject({ cssid, ssid, subchno, devno });
  onVirtio(syspath.slice(at), placement);
  return true;
}

/** A udev property of a block device from udev's database. */
function udevProperty(dir: string, dev: string | undefined, key: string): string | undefined {
  const line = (dev === undefined ? undefined : readAttribute(`${dir}/b${dev}`))
    ?.split('\n')
    .find((l) => l.startsWith(`E:${key}=`));
  return line?.slice(key.length + 3);
}

/**
 * The GuestDiskAddress of a block device (a disk or a partition) from its sysfs path, as qemu-ga
 * builds it: its controller's place, its node in /dev and udev's serial number; undefined when it
 * has none of these.
 */
export function diskAddress(syspath: string, udevData: string): JsonObject | undefined {
  const placement: Placement = { pci: NO_PCI, busType: 'unknown', bus: 0, target: 0, unit: 0 };
  const placed = syspath.includes('/devices/pci')
    ? onPci(syspath, placement)
    : syspath.includes('/devices/css')
      ? onCcw(syspath, placement)
      : onVirtio(syspath, placement);
  const devName = /^DEVNAME=(.*)$/m.exec(readAttribute(`${syspath}/uevent`) ?? '')?.[1];
  const dev = devName ? `/dev/${devName}` : undefined;
  const serial = udevProperty(udevData, readAttribute(`${syspath}/dev`), 'ID_SERIAL') || undefined;
  if (!placed && !dev && !serial) return undefined;
  return jsonObject({
    'pci-controller': jsonObject(placement.pci),
    'bus-type': placement.busType,
    bus: placement.bus,
    target: placement.target,
    unit: placement.unit,
    serial,
    dev,
    'ccw-address': placement.ccw,
  });
}
