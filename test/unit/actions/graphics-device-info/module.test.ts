import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisplayMap } from '../../../../src/desktop/display-map.js';
import { GraphicsDeviceInfoModule } from '../../../../src/actions/graphics-device-info/module.js';
import { MessageType } from '../../../../src/protocol/index.js';
import { collectingContext } from '../../../support/module-context.js';
import { writeDrmSysfs } from '../../../support/sysfs.js';

describe('graphics-device-info module', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sysfs-'));
    writeDrmSysfs(root, [{ name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: [{ name: 'Virtual-1' }, { name: 'Virtual-2' }] }]);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the device list and fills the shared display map, across clients', async () => {
    const displays = new DisplayMap(root);
    const module = new GraphicsDeviceInfoModule(displays);
    const { ctx, logs } = collectingContext();
    await module.start(ctx);
    const devices = [
      { channelId: 0, monitorId: 0, deviceDisplayId: 1, deviceAddress: 'pci/0000/02.0' },
      { channelId: 0, monitorId: 1, deviceDisplayId: 0, deviceAddress: 'pci/0000/07.0' },
    ];
    module.handle({ type: MessageType.GraphicsDeviceInfo, devices });
    module.resetClient();
    expect(module.current).toEqual(devices);
    expect(module.forDisplay(1)?.deviceAddress).toBe('pci/0000/07.0');
    expect(displays.connectorFor(0)).toBe('Virtual-2');
    expect(displays.connectorFor(1)).toBeUndefined();
    expect(logs()).toContain('display 0 -> pci/0000/02.0 output 1 (Virtual-2), display 1 -> pci/0000/07.0 output 0');
    await module.stop();
  });
});
