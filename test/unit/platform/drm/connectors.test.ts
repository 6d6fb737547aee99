import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDrmCards } from '../../../../src/platform/drm/connectors.js';
import { writeDrmSysfs } from '../../../support/sysfs.js';

describe('DRM connectors from sysfs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sysfs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads each card with its PCI device and its connectors: status, enabled, modes', () => {
    writeDrmSysfs(root, [
      {
        name: 'card0',
        pci: 'pci0000:00/0000:00:02.0',
        connectors: [
          { name: 'Virtual-1', modes: ['1280x800', '1024x768'] },
          { name: 'Virtual-2', status: 'disconnected', enabled: false },
        ],
      },
    ]);
    const [card] = readDrmCards(root);
    expect(card?.devicePath).toBe(join(root, 'devices/pci0000:00/0000:00:02.0'));
    expect(card?.connectors).toEqual([
      { card: 'card0', name: 'Virtual-1', status: 'connected', enabled: true, modes: [{ width: 1280, height: 800 }, { width: 1024, height: 768 }], connectorId: undefined },
      { card: 'card0', name: 'Virtual-2', status: 'disconnected', enabled: false, modes: [], connectorId: undefined },
    ]);
  });

  it('orders connectors by connector id when the kernel gives one, else by name with numbers compared as numbers', () => {
    writeDrmSysfs(root, [
      { name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: [{ name: 'Virtual-10' }, { name: 'Virtual-2' }, { name: 'Virtual-1' }] },
      { name: 'card1', pci: 'pci0000:00/0000:00:03.0', connectors: [{ name: 'HDMI-A-1', id: 40 }, { name: 'DP-1', id: 35 }] },
    ]);
    const cards = readDrmCards(root);
    expect(cards.map((c) => c.connectors.map((x) => x.name))).toEqual([
      ['Virtual-1', 'Virtual-2', 'Virtual-10'],
      ['DP-1', 'HDMI-A-1'],
    ]);
  });

  it('finds nothing where there is no DRM', () => {
    expect(readDrmCards(join(root, 'missing'))).toEqual([]);
  });
});
