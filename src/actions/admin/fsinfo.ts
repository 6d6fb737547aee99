import { readdirSync, realpathSync, statfsSync, type Dirent } from 'node:fs';
import { basename } from 'node:path';
import { jsonInt, jsonObject, type JsonObject, type JsonValue } from '../../qga/index.js';
import { diskAddress } from './disk-address.js';
import { localMounts, type LocalMount } from './mounts.js';

/** Where fsinfo reads the kernel's and udev's view; overridable for tests. */
export interface FsInfoDirs {
  sys?: string;
  udevData?: string;
}

/**
 * The disks of a block device's sysfs path in the order found: those of the devices beneath a
 * virtual one (dm, md), else the device's own address.
 */
function disksOf(syspath: string, udevData: string, depth = 0): JsonObject[] {
  if (!syspath.includes('/devices/virtual/block/')) {
    const address = diskAddress(syspath, udevData);
    return address ? [address] : [];
  }
  let slaves: Dirent[] = [];
  try {
    if (depth < 8) slaves = readdirSync(`${syspath}/slaves`, { withFileTypes: true });
  } catch {
    // not a stacked device
  }
  return slaves
    .filter((s) => s.isSymbolicLink())
    .flatMap((s) => {
      try {
        return disksOf(realpathSync(`${syspath}/slaves/${s.name}`), udevData, depth + 1);
      } catch {
        return [];
      }
    });
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
    // qemu-ga lists the disks last found first.
    disk: device ? disksOf(device, dirs.udevData).reverse() : [],
  });
}

/** guest-get-fsinfo: the local filesystems, last mounted first. */
export function fsInfo(mounts: LocalMount[] = localMounts(), dirs: FsInfoDirs = {}): JsonValue {
  const all = { sys: dirs.sys ?? '/sys', udevData: dirs.udevData ?? '/run/udev/data' };
  return mounts.reverse().map((m) => filesystem(m, all));
}
