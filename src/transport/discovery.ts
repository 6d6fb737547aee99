import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The SPICE agent port's virtio-serial name. */
export const SPICE_PORT_NAME = 'com.redhat.spice.0';
/** The QEMU guest agent's virtio-serial port name. */
export const QGA_PORT_NAME = 'org.qemu.guest_agent.0';

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

/**
 * Resolves with the port's path once a virtio-serial port called `name` exists: at once if it
 * does, else when inotify reports a change in the device directory (no polling). Resolves with
 * undefined when `signal` aborts.
 */
export function waitForVirtioPort(name: string, opts: DiscoveryDirs & { signal?: AbortSignal } = {}): Promise<string | undefined> {
  const devDir = opts.devDir ?? '/dev';
  return new Promise((resolve) => {
    const watchers: FSWatcher[] = [];
    let done = false;
    const finish = (path: string | undefined): void => {
      if (done) return;
      done = true;
      for (const w of watchers) w.close();
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(path);
    };
    const onAbort = (): void => finish(undefined);
    // Aborted before the wait began (a SIGTERM while the first look was under way): 'abort' has fired already.
    if (opts.signal?.aborted) return resolve(undefined);
    const check = (): void => {
      void findVirtioPort(name, opts).then((path) => {
        if (path) finish(path);
        else if (!done && watchers.length < 2) watchLinks();
      });
    };
    // udev makes virtio-ports/ with the first port; watch it too once it exists.
    const watchLinks = (): void => {
      try {
        watchers.push(watch(join(devDir, 'virtio-ports'), check));
      } catch {
        // not there yet
      }
    };
    opts.signal?.addEventListener('abort', onAbort);
    watchers.push(watch(devDir, check));
    watchLinks();
    check();
  });
}
