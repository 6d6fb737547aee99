import { describe, expect, it } from 'vitest';
import { parseKscreenJson } from '../../../../src/platform/display/kscreen.js';
import { parseWlrRandr } from '../../../../src/platform/display/wlroots.js';

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
