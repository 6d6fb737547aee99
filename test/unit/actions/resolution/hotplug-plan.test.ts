import { describe, expect, it } from 'vitest';
import { connectorSnapshot, MONITORS_CONFIG_HOLD_MS, planHotplug } from '../../../../src/actions/resolution/hotplug-plan.js';
import type { OutputState } from '../../../../src/platform/display/backend.js';

/** An output on at `current` (or off), its connector connected with the `preferred` size (or disconnected). */
function output(name: string, current: [number, number, number?] | 'off', preferred: [number, number] | 'disconnected' | 'none'): OutputState {
  const on = current !== 'off';
  return {
    name,
    enabled: on,
    x: on ? (current[2] ?? 0) : 0,
    y: 0,
    width: on ? current[0] : 0,
    height: on ? current[1] : 0,
    connected: preferred !== 'disconnected',
    ...(Array.isArray(preferred) && { preferred: { width: preferred[0], height: preferred[1] } }),
  };
}

const LONG_AGO = Infinity;

describe('planning a DRM hotplug (xrandr --auto semantics)', () => {
  it('applies the new preferred mode of the one output the client resized (the qxl case: preferred 1280x800, current 1024x768)', () => {
    const before = connectorSnapshot([output('Virtual-1', [1024, 768], [1024, 768])]);
    expect(planHotplug([output('Virtual-1', [1024, 768], [1280, 800])], before, LONG_AGO)).toEqual({
      action: 'apply',
      requests: [{ name: 'Virtual-1', enabled: true, x: 0, y: 0, width: 1280, height: 800, primary: true }],
      desktop: [{ x: 0, y: 0, width: 1280, height: 800, output: 'Virtual-1' }],
    });
  });

  it('lays several heads left to right in the desktop’s output order, the first primary, and switches a disconnected one off', () => {
    const before = connectorSnapshot([output('Virtual-1', [1024, 768], [1024, 768]), output('Virtual-2', 'off', 'disconnected'), output('Virtual-3', [800, 600, 1024], [800, 600])]);
    const plan = planHotplug([output('Virtual-1', [1024, 768], [1280, 800]), output('Virtual-2', 'off', [640, 480]), output('Virtual-3', [800, 600, 1024], 'disconnected')], before, LONG_AGO);
    expect(plan).toEqual({
      action: 'apply',
      requests: [
        { name: 'Virtual-1', enabled: true, x: 0, y: 0, width: 1280, height: 800, primary: true },
        { name: 'Virtual-2', enabled: true, x: 1280, y: 0, width: 640, height: 480, primary: false },
        { name: 'Virtual-3', enabled: false },
      ],
      desktop: [
        { x: 0, y: 0, width: 1280, height: 800, output: 'Virtual-1' },
        { x: 1280, y: 0, width: 640, height: 480, output: 'Virtual-2' },
      ],
    });
  });

  it('keeps the size of a connected output without a preferred mode', () => {
    const before = connectorSnapshot([output('A', [800, 600], 'none'), output('B', 'off', 'disconnected')]);
    const plan = planHotplug([output('A', [800, 600], 'none'), output('B', 'off', [1024, 768])], before, LONG_AGO);
    expect(plan.action === 'apply' && plan.requests).toEqual([
      { name: 'A', enabled: true, x: 0, y: 0, width: 800, height: 600, primary: true },
      { name: 'B', enabled: true, x: 800, y: 0, width: 1024, height: 768, primary: false },
    ]);
  });

  it('does nothing when no connector’s preferred mode or connection changed (a MONITORS_CONFIG layout that differs from them stays)', () => {
    const outputs = [output('Virtual-1', [1920, 1080], [1024, 768])];
    expect(planHotplug(outputs, connectorSnapshot(outputs), LONG_AGO)).toEqual({ action: 'none', why: 'unchanged' });
  });

  it('does nothing when the desktop already shows the preferred sizes (GNOME, KWin or sway applied them)', () => {
    const before = connectorSnapshot([output('Virtual-1', [1024, 768], [1024, 768])]);
    expect(planHotplug([output('Virtual-1', [1280, 800], [1280, 800])], before, LONG_AGO)).toEqual({ action: 'none', why: 'already-applied' });
  });

  it('does nothing within the hold after an applied MONITORS_CONFIG, and acts after it', () => {
    const before = connectorSnapshot([output('Virtual-1', [1024, 768], [1024, 768])]);
    const now = [output('Virtual-1', [1024, 768], [1280, 800])];
    expect(planHotplug(now, before, MONITORS_CONFIG_HOLD_MS - 1)).toEqual({ action: 'none', why: 'monitors-config' });
    expect(planHotplug(now, before, MONITORS_CONFIG_HOLD_MS).action).toBe('apply');
  });

  it('never switches every output off: a hotplug that leaves no connected output changes nothing', () => {
    const before = connectorSnapshot([output('Virtual-1', [1024, 768], [1024, 768])]);
    expect(planHotplug([output('Virtual-1', [1024, 768], 'disconnected')], before, LONG_AGO)).toEqual({ action: 'none', why: 'no-monitor' });
  });

  it('counts an output that appeared or vanished as a change', () => {
    const before = connectorSnapshot([output('Virtual-1', [1024, 768], [1024, 768])]);
    expect(planHotplug([output('Virtual-1', [1024, 768], [1024, 768]), output('Virtual-2', 'off', [800, 600])], before, LONG_AGO).action).toBe('apply');
    const two = connectorSnapshot([output('Virtual-1', [1024, 768], [1024, 768]), output('Virtual-2', 'off', 'disconnected')]);
    expect(planHotplug([output('Virtual-1', [1024, 768], [1024, 768])], two, LONG_AGO)).toEqual({ action: 'none', why: 'already-applied' });
  });
});
