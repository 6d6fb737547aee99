import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
