import { describe, expect, it } from 'vitest';
import { parseKscreenJson } from '../../../../src/platform/display/kscreen.js';
import { parseWlrRandr } from '../../../../src/platform/display/wlr-randr.js';
import { withKernelPreferred } from '../../../../src/platform/display/wlroots.js';
import type { DrmCard } from '../../../../src/platform/drm/connectors.js';

// What a DRM hotplug changes is each output's preferred mode and connection: the backends read them.

describe('preferred modes as the desktop tools report them', () => {
  it('wlr-randr: the mode marked preferred (sway on virtio-gpu after the host asked for 1280x800)', () => {
    const [out] = parseWlrRandr(
      ['Virtual-1 "Red Hat, Inc. QEMU Monitor (Virtual-1)"', '  Enabled: yes', '  Modes:', '    1280x800 px, 60.000000 Hz (preferred)', '    1024x768 px, 60.000000 Hz (current)', '  Position: 0,0', '  Scale: 1.000000', ''].join('\n'),
    );
    expect(out?.modes).toEqual([
      { width: 1280, height: 800, current: false, preferred: true },
      { width: 1024, height: 768, current: true, preferred: false },
    ]);
  });

  it('wlroots: the kernel’s preferred mode of the connector of the same name wins over the stale one wlroots listed when it connected', () => {
    const sway = [
      { name: 'Virtual-1', enabled: true, x: 0, y: 0, width: 1280, height: 800, preferred: { width: 1280, height: 800 } },
      { name: 'Virtual-2', enabled: false, x: 0, y: 0, width: 0, height: 0 },
      { name: 'HEADLESS-1', enabled: true, x: 1280, y: 0, width: 800, height: 600 },
    ];
    const card = (status: string, modes: [number, number][]) => ({ card: 'card0', status, enabled: true, modes: modes.map(([width, height]) => ({ width, height })) });
    const cards: DrmCard[] = [{ name: 'card0', connectors: [{ name: 'Virtual-1', ...card('connected', [[1152, 720], [1280, 800]]) }, { name: 'Virtual-2', ...card('disconnected', []) }] }];
    expect(withKernelPreferred(sway, cards).map((o) => [o.name, o.preferred])).toEqual([
      ['Virtual-1', { width: 1152, height: 720 }],
      ['Virtual-2', undefined],
      ['HEADLESS-1', undefined],
    ]);
  });

  it('kscreen-doctor -j: preferredModes and connected', () => {
    const json = JSON.stringify({
      outputs: [
        { name: 'Virtual-1', enabled: true, connected: true, pos: { x: 0, y: 0 }, scale: 1, currentModeId: '2', preferredModes: ['1'], modes: [{ id: '1', size: { width: 1280, height: 800 }, refreshRate: 60 }, { id: '2', size: { width: 1024, height: 768 }, refreshRate: 60 }] },
        { name: 'Virtual-2', enabled: false, connected: false, pos: { x: 0, y: 0 }, scale: 1, currentModeId: '', modes: [] },
      ],
    });
    expect(parseKscreenJson(json).map((o) => [o.name, o.connected, o.preferredModeIds])).toEqual([
      ['Virtual-1', true, ['1']],
      ['Virtual-2', false, []],
    ]);
  });
});
