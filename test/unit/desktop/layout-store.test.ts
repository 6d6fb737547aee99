import { describe, expect, it } from 'vitest';
import { DesktopState } from '../../../src/desktop/state.js';

describe('the session layout', () => {
  it('is set for the desktop state that holds it and announced; undefined ends it', () => {
    const desktop = new DesktopState();
    const seen: unknown[] = [];
    desktop.layout.on('change', (m) => void seen.push(m));
    desktop.layout.set([{ x: 0, y: 0, width: 800, height: 600, output: 'Virtual-1', displayId: 0 }]);
    expect(desktop.layout.current).toEqual([{ x: 0, y: 0, width: 800, height: 600, output: 'Virtual-1', displayId: 0 }]);
    desktop.layout.set(undefined);
    expect(desktop.layout.current).toBeUndefined();
    expect(seen).toHaveLength(2);
  });

  it('is not shared between desktop states', () => {
    const one = new DesktopState();
    const other = new DesktopState();
    one.layout.set([{ x: 0, y: 0, width: 800, height: 600 }]);
    expect(other.layout.current).toBeUndefined();
  });
});
