import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Where findVirtioPort() looks; overridable for tests. */
export interface DiscoveryDirs {
  /** The device directory, holding `virtio-ports/<name>` links and `vportNpM` nodes. */
  devDir?: string;
  /** The sysfs class directory whose entries hold a `name` file. */
  sysDir?: string;
}

/** Path of the virtio-serial port called `name`: the udev link, else the sysfs entry's node. */
export async function findVirtioPort(name: string, opts: DiscoveryDirs = {}): Promise<string | undefined> {
  const devDir = opts.devDir ?? '/dev';
  const sysDir = opts.sysDir ?? '/sys/class/virtio-ports';
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return undefined;
  const link = join(devDir, 'virtio-ports', name);
  if (await stat(link).then(() => true, () => false)) return link;
  const entries = await readdir(sysDir).catch(() => [] as string[]);
  for (const entry of entries.sort()) {
    const portName = await readFile(join(sysDir, entry, 'name'), 'utf8').catch(() => undefined);
    if (portName?.trim() === name) return join(devDir, entry);
  }
  return undefined;
}
