import { realpathSync } from 'node:fs';
import { jsonObject, type JsonObject } from '../../qga/index.js';
import { diskAddress } from './disk-address.js';
import { dirEntries, readAttribute, systemFailure } from './proc-text.js';


/** The /dev node of a sysfs block directory, from its uevent's DEVNAME. */
const deviceOf = (dir: string): string | undefined => {
  const name = /^DEVNAME=(.*)$/m.exec(readAttribute(`${dir}/uevent`) ?? '')?.[1];
  return name === undefined ? undefined : `/dev/${name}`;
};

/** Where a sysfs link leads, undefined when it cannot be resolved. */
const realpathOf = (path: string): string | undefined => {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
};

/** Directory entries, none when it cannot be listed. */
const entriesOf = (dir: string): ReturnType<typeof dirEntries> | undefined => {
  try {
    return dirEntries(dir);
  } catch {
    return undefined;
  }
};

/**
 * guest-get-disks: every non-empty block device of /sys/block with its partitions, as qemu-ga
 * lists them (each prepended, so the last found comes first). A disk's dependencies are the
 * devices in its `slaves` directory, a partition's its disk; a device-mapper disk's alias is its
 * dm name. A disk that is not virtual (device-mapper, md, loop) has the `address` guest-get-fsinfo
 * gives it: its controller's place, which libvirt matches against the domain's disks.
 */
export function guestDisks(sysBlock = '/sys/block', udevData = '/run/udev/data'): JsonObject[] {
  let entries;
  try {
    entries = dirEntries(sysBlock);
  } catch (err) {
    throw systemFailure(`opendir("${sysBlock}")`, err);
  }
  const found: JsonObject[] = [];
  for (const e of entries) {
    if (!e.isSymbolicLink()) continue;
    const dir = `${sysBlock}/${e.name}`;
    const size = readAttribute(`${dir}/size`);
    if (size === undefined || size === '0') continue;
    const dev = deviceOf(dir);
    if (dev === undefined) continue;
    const slaves = entriesOf(`${dir}/slaves`);
    const device = realpathOf(dir);
    found.push(jsonObject({
      name: dev,
      partition: false,
      dependencies: slaves?.flatMap((s) => deviceOf(`${dir}/slaves/${s.name}`) ?? []).reverse(),
      alias: readAttribute(`${dir}/dm/name`),
      address: device === undefined || device.includes('/devices/virtual/') ? undefined : diskAddress(device, udevData),
    }));
    for (const p of entriesOf(dir) ?? []) {
      if (!p.isDirectory() || !isPartitionName(e.name, p.name)) continue;
      const partDev = deviceOf(`${dir}/${p.name}`);
      if (partDev !== undefined) found.push(jsonObject({ name: partDev, partition: true, dependencies: [dev] }));
    }
  }
  return found.reverse();
}

/** Whether a disk's subdirectory names one of its partitions: the disk's name, then a digit or `p` and a digit. */
export function isPartitionName(disk: string, name: string): boolean {
  return name.startsWith(disk) && /^p?\d/.test(name.slice(disk.length));
}
