import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SYSFS } from '../../src/platform/drm/connectors.js';

/** A DRM connector to lay out in a test sysfs tree. */
export interface FakeConnector {
  name: string;
  status?: 'connected' | 'disconnected';
  enabled?: boolean;
  modes?: string[];
  /** Written as `connector_id` when given (kernels before 6.x lack it). */
  id?: number;
}

/** A DRM card: its PCI device path below /sys/devices (`pci0000:00/0000:00:02.0`) and its connectors. */
export interface FakeCard {
  name: string;
  pci: string;
  connectors: FakeConnector[];
}

/**
 * Writes a sysfs tree as the kernel lays it out under `root`: the card and its connectors under
 * `devices/<pci>/drm/`, links to them from `class/drm/`, and the card's `device` link.
 */
export function writeDrmSysfs(root: string, cards: readonly FakeCard[]): void {
  mkdirSync(join(root, 'class', 'drm'), { recursive: true });
  for (const card of cards) {
    const device = join(root, 'devices', card.pci);
    const cardDir = join(device, 'drm', card.name);
    mkdirSync(cardDir, { recursive: true });
    symlinkSync('../..', join(cardDir, 'device'));
    symlinkSync(join('..', '..', 'devices', card.pci, 'drm', card.name), join(root, 'class', 'drm', card.name));
    for (const c of card.connectors) {
      const entry = `${card.name}-${c.name}`;
      const dir = join(cardDir, entry);
      mkdirSync(dir);
      writeFileSync(join(dir, 'status'), `${c.status ?? 'connected'}\n`);
      writeFileSync(join(dir, 'enabled'), `${c.enabled === false ? 'disabled' : 'enabled'}\n`);
      writeFileSync(join(dir, 'modes'), (c.modes ?? []).map((m) => `${m}\n`).join(''));
      if (c.id !== undefined) writeFileSync(join(dir, 'connector_id'), `${c.id}\n`);
      symlinkSync(join('..', '..', 'devices', card.pci, 'drm', card.name, entry), join(root, 'class', 'drm', entry));
    }
  }
}

/**
 * A command prefix (for the pty harness) that runs the daemon, and the helpers it starts, in a
 * private mount namespace where `root` is mounted over /sys: a machine without DRM shows them the
 * DRM cards written there. Needs root.
 */
export function underSysfs(root: string): string[] {
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', `mount --bind "$0" ${SYSFS} && exec "$@"`, root];
}

/** A block device to lay out in a test sysfs tree. */
export interface FakeBlockDevice {
  /** Its directory below `devices/`, e.g. `pci0000:00/0000:00:01.2/0000:03:00.0/virtio2/block/vda`. */
  path: string;
  /** `major:minor`. */
  dev: string;
  /** Whether it is a partition (it then lies in its disk's directory). */
  partition?: boolean;
  /** The devices beneath it (`slaves/`), by their `path`. */
  slaves?: string[];
}

/** A block-device sysfs tree: the devices, the drivers bound to controllers and sibling directories. */
export interface FakeBlockSysfs {
  devices: FakeBlockDevice[];
  /** Driver names by device directory below `devices/` (PCI functions, mostly). */
  drivers?: Record<string, string>;
  /** Further directories below `devices/`, such as a controller's other `ataN` ports. */
  dirs?: string[];
}

/**
 * Writes a block-device tree as the kernel lays it out under `root`: each device's `dev` and
 * `uevent` (DEVNAME), `partition` and `slaves/` links, `dev/block/<major:minor>` links to it, and
 * `driver` links to `bus/pci/drivers/<name>`; links are relative, so the tree can be mounted over /sys.
 */
export function writeBlockSysfs(root: string, tree: FakeBlockSysfs): void {
  mkdirSync(join(root, 'dev', 'block'), { recursive: true });
  for (const dir of tree.dirs ?? []) mkdirSync(join(root, 'devices', dir), { recursive: true });
  for (const [device, driver] of Object.entries(tree.drivers ?? {})) {
    mkdirSync(join(root, 'bus', 'pci', 'drivers', driver), { recursive: true });
    mkdirSync(join(root, 'devices', device), { recursive: true });
    symlinkSync(relative(join(root, 'devices', device), join(root, 'bus', 'pci', 'drivers', driver)), join(root, 'devices', device, 'driver'));
  }
  for (const d of tree.devices) {
    const dir = join(root, 'devices', d.path);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dev'), `${d.dev}\n`);
    writeFileSync(join(dir, 'uevent'), `MAJOR=${d.dev.split(':')[0]}\nMINOR=${d.dev.split(':')[1]}\nDEVNAME=${d.path.split('/').pop()}\nDEVTYPE=${d.partition ? 'partition' : 'disk'}\n`);
    if (d.partition) writeFileSync(join(dir, 'partition'), '1\n');
    symlinkSync(join('..', '..', 'devices', d.path), join(root, 'dev', 'block', d.dev));
  }
  for (const d of tree.devices) {
    if (!d.slaves) continue;
    const slaves = join(root, 'devices', d.path, 'slaves');
    mkdirSync(slaves);
    for (const s of d.slaves) symlinkSync(relative(slaves, join(root, 'devices', s)), join(slaves, s.split('/').pop() ?? s));
  }
}
