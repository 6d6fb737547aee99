import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisplayMap } from '../../../../src/desktop/display-map.js';
import type { ModuleContext } from '../../../../src/actions/module.js';
import { LayoutStore } from '../../../../src/desktop/layout-store.js';
import { MouseModule } from '../../../../src/actions/mouse/module.js';
import { CapabilitySet, MessageType } from '../../../../src/protocol/index.js';
import { FakePointerDevice } from '../../../../src/platform/uinput/fake-device.js';
import { decodeInputEvents, ABS_X, ABS_Y, BTN_LEFT, EV_ABS, EV_KEY, EV_SYN } from '../../../../src/platform/uinput/input-event.js';
import { writeDrmSysfs } from '../../../support/sysfs.js';
import { memoryLogger } from '../../../support/log.js';

const SYN = [EV_SYN, 0, 0];

describe('mouse module', () => {
  let dir: string;
  let events: string;
  let layout: LayoutStore;
  let device: FakePointerDevice;
  let logged: () => string[];

  const context = (settings: Record<string, string> = {}): ModuleContext => {
    const { log, lines } = memoryLogger();
    logged = lines;
    return { send: () => true, clientCaps: () => CapabilitySet.empty, log, settings: new Map(Object.entries(settings)), options: { fakeUinput: events } };
  };
  const make = (sysRoot = join(dir, 'sys'), displays = new DisplayMap(sysRoot)): MouseModule =>
    new MouseModule({
      layout,
      displays,
      sysRoot,
      device: (options) => (device = new FakePointerDevice(options.fakeUinput as string)),
    });
  const written = (): number[][] => decodeInputEvents(readFileSync(events)).map((e) => [e.type, e.code, e.value]);
  const mouse = (m: MouseModule, x: number, y: number, buttons = 0, displayId = 0): void => {
    m.handle({ type: MessageType.MouseState, x, y, buttons, displayId });
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mouse-'));
    events = join(dir, 'events');
    layout = new LayoutStore();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('spans the DRM connectors when no session reports a layout, and adds the display’s offset', async () => {
    writeDrmSysfs(join(dir, 'sys'), [{ name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: [{ name: 'Virtual-1', modes: ['1024x768'] }, { name: 'Virtual-2', modes: ['800x600'] }] }]);
    const m = make();
    await m.start(context());
    expect(device.created).toEqual([{ x: 0, y: 0, width: 1824, height: 768 }]);
    mouse(m, 10, 20, 0, 1);
    expect(written()).toEqual([[EV_ABS, ABS_X, 1034], [EV_ABS, ABS_Y, 20], SYN]);
    await m.stop();
  });

  it('follows the display map: a display id goes to the monitor of its connector', async () => {
    writeDrmSysfs(join(dir, 'sys'), [{ name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: [{ name: 'Virtual-1', modes: ['1024x768'] }, { name: 'Virtual-2', modes: ['800x600'] }] }]);
    const displays = new DisplayMap(join(dir, 'sys'));
    displays.setDevices([{ channelId: 0, monitorId: 0, deviceDisplayId: 1, deviceAddress: 'pci/0000/02.0' }]);
    const m = make(join(dir, 'sys'), displays);
    await m.start(context());
    mouse(m, 5, 5, 0, 0);
    expect(written().slice(0, 1)).toEqual([[EV_ABS, ABS_X, 1029]]);
    await m.stop();
  });

  it('uses the layout setting over DRM, and 1024×768 when nothing tells the desktop', async () => {
    const fixed = make();
    await fixed.start(context({ layout: '640x480+0+0, 640x480+0+480' }));
    expect(device.created).toEqual([{ x: 0, y: 0, width: 640, height: 960 }]);
    mouse(fixed, 1, 2, 0, 1);
    expect(written()).toEqual([[EV_ABS, ABS_X, 1], [EV_ABS, ABS_Y, 482], SYN]);
    await fixed.stop();
    const bare = make();
    await bare.start(context());
    expect(device.created).toEqual([{ x: 0, y: 0, width: 1024, height: 768 }]);
    await bare.stop();
  });

  it('re-creates the tablet when the session’s desktop changes size, and starts its state afresh', async () => {
    const m = make();
    await m.start(context());
    mouse(m, 100, 100, 0x02);
    layout.set([
      { x: 0, y: 0, width: 1920, height: 1080 },
      { x: 1920, y: 0, width: 1280, height: 1024 },
    ]);
    await expect.poll(() => device.created.length).toBe(2);
    expect(device.created[1]).toMatchObject({ width: 3200, height: 1080 });
    mouse(m, 100, 100, 0x02, 1);
    expect(written().slice(-4)).toEqual([[EV_ABS, ABS_X, 2020], [EV_ABS, ABS_Y, 100], [EV_KEY, BTN_LEFT, 1], SYN]);
    expect(logged().join('\n')).toContain('tablet re-created for a 3200x1080 desktop');
    await m.stop();
  });

  it('keeps the tablet when only the arrangement changes', async () => {
    layout.set([{ x: 0, y: 0, width: 800, height: 600 }, { x: 800, y: 0, width: 800, height: 600 }]);
    const m = make();
    await m.start(context());
    layout.set([{ x: 800, y: 0, width: 800, height: 600 }, { x: 0, y: 0, width: 800, height: 600 }]);
    mouse(m, 0, 0, 0, 0);
    expect(device.created).toHaveLength(1);
    expect(written()[0]).toEqual([EV_ABS, ABS_X, 800]);
    await m.stop();
  });

  it('finds monitors by the display ids a session layout carries (a sparse config leaves gaps)', async () => {
    layout.set([{ x: 0, y: 0, width: 800, height: 600, output: 'DUMMY1', displayId: 1 }]);
    const m = make();
    await m.start(context());
    mouse(m, 3, 4, 0, 0);
    expect(readFileSync(events).length).toBe(0);
    mouse(m, 3, 4, 0, 1);
    expect(written()).toEqual([[EV_ABS, ABS_X, 3], [EV_ABS, ABS_Y, 4], SYN]);
    await m.stop();
  });

  it('ignores unknown displays and clamps positions to their monitor', async () => {
    const m = make();
    await m.start(context());
    mouse(m, 5000, 5000, 0, 7);
    expect(readFileSync(events).length).toBe(0);
    expect(logged().join('\n')).toContain('unknown display 7');
    mouse(m, 5000, 5000, 0, 0);
    expect(written()).toEqual([[EV_ABS, ABS_X, 1023], [EV_ABS, ABS_Y, 767], SYN]);
    await m.stop();
  });

  it('releases held buttons when the client goes away, and on stop', async () => {
    const m = make();
    await m.start(context());
    mouse(m, 1, 1, 0x02);
    m.resetClient();
    expect(written().slice(-2)).toEqual([[EV_KEY, BTN_LEFT, 0], SYN]);
    mouse(m, 1, 1, 0x02);
    await m.stop();
    expect(written().slice(-2)).toEqual([[EV_KEY, BTN_LEFT, 0], SYN]);
  });

  it('rejects start when the tablet cannot be created', async () => {
    const m = new MouseModule({ layout, sysRoot: join(dir, 'sys') });
    const ctx = context();
    await expect(m.start({ ...ctx, options: { fakeUinput: join(dir, 'missing', 'events') } })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
