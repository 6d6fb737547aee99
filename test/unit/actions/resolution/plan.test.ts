import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DisplayMap } from '../../../../src/desktop/display-map.js';
import { checkMonitorsConfig, planLayout, PlanProblem } from '../../../../src/actions/resolution/plan.js';
import type { OutputState } from '../../../../src/platform/display/backend.js';
import { MonitorsConfigFlag } from '../../../../src/protocol/index.js';
import { monitorsConfig } from '../../../support/module-context.js';
import { writeDrmSysfs } from '../../../support/sysfs.js';

const outputs = (...names: string[]): OutputState[] => names.map((name) => ({ name, enabled: true, x: 0, y: 0, width: 1024, height: 768 }));
const noDevices = new DisplayMap('/nonexistent');

describe('planning a MONITORS_CONFIG', () => {
  it('puts entry i on output i, keeps positions with USE_POS, switches the other outputs off, first entry primary', () => {
    const plan = planLayout(
      monitorsConfig([
        { width: 1280, height: 720, x: 0, y: 0 },
        { width: 800, height: 600, x: 1280, y: 60 },
      ]),
      outputs('A', 'B', 'C'),
      noDevices,
    );
    expect(plan).toEqual({
      requests: [
        { name: 'A', enabled: true, x: 0, y: 0, width: 1280, height: 720, primary: true },
        { name: 'B', enabled: true, x: 1280, y: 60, width: 800, height: 600, primary: false },
        { name: 'C', enabled: false },
      ],
      desktop: [
        { x: 0, y: 0, width: 1280, height: 720, output: 'A', displayId: 0 },
        { x: 1280, y: 60, width: 800, height: 600, output: 'B', displayId: 1 },
      ],
      ignored: [],
    });
  });

  it('puts each entry on the output the graphics device info names for its display id', () => {
    const root = mkdtempSync(join(tmpdir(), 'sysfs-'));
    try {
      writeDrmSysfs(root, [{ name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: [{ name: 'Virtual-1' }, { name: 'Virtual-2' }] }]);
      const displays = new DisplayMap(root);
      displays.setDevices([{ channelId: 0, monitorId: 0, deviceDisplayId: 1, deviceAddress: 'pci/0000/02.0' }]);
      const plan = planLayout(monitorsConfig([{ width: 1024, height: 768 }, { width: 800, height: 600, x: 1024 }]), outputs('Virtual-1', 'Virtual-2'), displays);
      expect(typeof plan === 'object' && plan.desktop.map((m) => `${m.displayId} ${m.output} ${m.width}x${m.height}+${m.x}`)).toEqual(['0 Virtual-2 1024x768+0', '1 Virtual-1 800x600+1024']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('lays monitors left to right at y = 0 without USE_POS', () => {
    const plan = planLayout(monitorsConfig([{ width: 640, height: 480, x: 999, y: 999 }, { width: 800, height: 600, x: 5, y: 5 }], MonitorsConfigFlag.PhysicalSize), outputs('A', 'B'), noDevices);
    expect(typeof plan === 'object' && plan.desktop.map((m) => [m.x, m.y])).toEqual([
      [0, 0],
      [640, 0],
    ]);
  });

  it('keeps sparse entries at their index: a 0×0 entry switches its output off', () => {
    const config = monitorsConfig([{ width: 0, height: 0 }, { width: 1024, height: 768, x: 1024 }, ...Array.from({ length: 14 }, () => ({ width: 0, height: 0 }))]);
    const plan = planLayout(config, outputs('A', 'B'), noDevices);
    expect(typeof plan === 'object' && plan.requests).toEqual([
      { name: 'A', enabled: false },
      { name: 'B', enabled: true, x: 0, y: 0, width: 1024, height: 768, primary: true },
    ]);
  });

  it('clamps negative positions by moving the whole layout so its top-left is 0,0', () => {
    const plan = planLayout(monitorsConfig([{ width: 800, height: 600, x: -800, y: -100 }, { width: 800, height: 600, x: 0, y: 0 }]), outputs('A', 'B'), noDevices);
    expect(typeof plan === 'object' && plan.desktop.map((m) => [m.x, m.y])).toEqual([
      [0, 0],
      [800, 100],
    ]);
  });

  it('ignores entries beyond the outputs (64 monitors on 2 outputs)', () => {
    const plan = planLayout(monitorsConfig(Array.from({ length: 64 }, (_, i) => ({ width: 640, height: 480, x: 640 * i }))), outputs('A', 'B'), noDevices);
    expect(typeof plan === 'object' && plan.desktop.length).toBe(2);
    expect(typeof plan === 'object' && plan.ignored).toEqual(Array.from({ length: 62 }, (_, i) => i + 2));
  });

  it('refuses a desktop with no monitor, monitors larger than 16384 pixels, and monitors no output can show', () => {
    expect(checkMonitorsConfig(monitorsConfig([{ width: 0, height: 0 }, { width: 1024, height: 0 }]))).toBe(PlanProblem.NoMonitor);
    expect(checkMonitorsConfig(monitorsConfig([]))).toBe(PlanProblem.NoMonitor);
    expect(checkMonitorsConfig(monitorsConfig([{ width: 20000, height: 768 }]))).toBe(PlanProblem.TooLarge);
    expect(planLayout(monitorsConfig([{ width: 1024, height: 768 }]), [], noDevices)).toBe(PlanProblem.NoOutput);
  });
});
