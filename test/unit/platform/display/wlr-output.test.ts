import { describe, expect, it } from 'vitest';
import { DisplayErrorCode } from '../../../../src/platform/display/backend.js';
import { unappliedChanges, wlrChanges, type WlrOutput } from '../../../../src/platform/display/wlr-output.js';
import { wlrRandrArgs } from '../../../../src/platform/display/wlr-randr.js';

/** An output listing 1280x800 (preferred) and 1024x768, at `current` (listed or custom). */
const output = (name: string, current: [number, number] | undefined, x = 0, scale = 1): WlrOutput => {
  const modes = [
    { width: 1280, height: 800, preferred: true },
    { width: 1024, height: 768, preferred: false },
  ].map((m) => ({ ...m, current: current !== undefined && m.width === current[0] && m.height === current[1] }));
  const listed = modes.some((m) => m.current);
  return { name, enabled: current !== undefined, x, y: 0, scale, modes, ...(current && !listed ? { custom: { width: current[0], height: current[1] } } : {}) };
};

describe('wlroots outputs: the changes a layout needs and what a read-back shows', () => {
  const desktop = [output('Virtual-1', [1280, 800]), output('Virtual-2', [1024, 768], 1280, 2), output('Virtual-3', undefined)];

  it('each output on at its size (a listed mode when there is one) and place in logical pixels; off only for outputs that are on', () => {
    const changes = wlrChanges(desktop, [
      { name: 'Virtual-1', enabled: true, x: 0, y: 0, width: 1152, height: 720, primary: true },
      { name: 'Virtual-2', enabled: true, x: 1152, y: 0, width: 1024, height: 768, primary: false },
      { name: 'Virtual-3', enabled: false },
    ]);
    expect(changes).toEqual([
      { name: 'Virtual-1', enabled: true, width: 1152, height: 720, x: 0, y: 0, listed: false },
      { name: 'Virtual-2', enabled: true, width: 1024, height: 768, x: 576, y: 0, listed: true },
    ]);
    expect(wlrRandrArgs([...changes, { name: 'Virtual-3', enabled: false }])).toEqual([
      ...['--output', 'Virtual-1', '--on', '--custom-mode', '1152x720', '--pos', '0,0'],
      ...['--output', 'Virtual-2', '--on', '--mode', '1024x768', '--pos', '576,0'],
      ...['--output', 'Virtual-3', '--off'],
    ]);
  });

  it('a request for an output the compositor does not have is refused with NoSuchOutput', () => {
    expect(() => wlrChanges(desktop, [{ name: 'Virtual-9', enabled: false }])).toThrow(expect.objectContaining({ code: DisplayErrorCode.NoSuchOutput }));
  });

  it('the read-back names every output that does not show its change: kept size, kept place, still on, gone', () => {
    const changes = wlrChanges(desktop, [
      { name: 'Virtual-1', enabled: true, x: 0, y: 0, width: 1152, height: 720, primary: true },
      { name: 'Virtual-2', enabled: false },
    ]);
    expect(unappliedChanges(changes, [output('Virtual-1', [1152, 720]), output('Virtual-2', undefined)])).toEqual([]);
    expect(unappliedChanges(changes, desktop)).toEqual(['Virtual-1 1280x800+0+0, not 1152x720+0+0', 'Virtual-2 1024x768+1280+0, not off']);
    expect(unappliedChanges(changes, [output('Virtual-1', [1152, 720], 100)])).toEqual(['Virtual-1 1152x720+100+0, not 1152x720+0+0']);
    expect(unappliedChanges(changes.slice(0, 1), [])).toEqual(['Virtual-1 gone, not 1152x720+0+0']);
  });
});
