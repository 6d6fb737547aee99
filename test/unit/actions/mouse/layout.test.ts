import { describe, expect, it } from 'vitest';
import { drmLayout } from '../../../../src/actions/mouse/drm-layout.js';
import { checkLayoutSetting, parseLayoutSetting } from '../../../../src/actions/mouse/layout-setting.js';
import { desktopBounds } from '../../../../src/platform/display/monitor.js';

describe('the DRM layout', () => {
  it('lays connected, enabled connectors with a mode left to right at their first mode', () => {
    const connector = (name: string, modes: string[], status = 'connected', enabled = true) => ({
      card: 'card0',
      name,
      status,
      enabled,
      modes: modes.map((m) => ({ width: Number(m.split('x')[0]), height: Number(m.split('x')[1]) })),
    });
    const layout = drmLayout([
      { name: 'card0', connectors: [connector('Virtual-1', ['1280x800', '1024x768']), connector('Virtual-2', ['800x600'], 'disconnected'), connector('Virtual-3', ['640x480'], 'connected', false)] },
      { name: 'card1', connectors: [connector('Virtual-1', ['1920x1080']), connector('Virtual-2', [])] },
    ]);
    expect(layout).toEqual([
      { x: 0, y: 0, width: 1280, height: 800, output: 'Virtual-1' },
      { x: 1280, y: 0, width: 1920, height: 1080, output: 'Virtual-1' },
    ]);
    expect(desktopBounds(layout)).toEqual({ x: 0, y: 0, width: 3200, height: 1080 });
  });
});

describe('the layout setting', () => {
  it('reads monitors as WxH+X+Y separated by commas', () => {
    expect(parseLayoutSetting('1024x768+0+0, 800x600+1024+-20')).toEqual([
      { width: 1024, height: 768, x: 0, y: 0 },
      { width: 800, height: 600, x: 1024, y: -20 },
    ]);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '1024x768', '0x768+0+0', '1024x768+0+0,', 'big']) expect(checkLayoutSetting(bad)).toMatch(/expected monitors/);
    expect(checkLayoutSetting('640x480+0+0')).toBeUndefined();
  });
});
