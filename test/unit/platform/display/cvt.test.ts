import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cvtModeLine, modeLineArgs } from '../../../../src/platform/display/cvt.js';

/** The timings `cvt W H` (xcvt) prints, after the mode name. */
function cvt(width: number, height: number): string[] {
  const line = execFileSync('cvt', [String(width), String(height)]).toString().split('\n').find((l) => l.startsWith('Modeline')) ?? '';
  return line.trim().split(/\s+/).slice(2);
}

describe('CVT mode lines', () => {
  it('match known VESA CVT timings', () => {
    expect(modeLineArgs(cvtModeLine(1280, 720))).toEqual('74.50 1280 1344 1472 1664 720 723 728 748 -hsync +vsync'.split(' '));
    expect(modeLineArgs(cvtModeLine(1920, 1080))).toEqual('173.00 1920 2048 2248 2576 1080 1083 1088 1120 -hsync +vsync'.split(' '));
    expect(modeLineArgs(cvtModeLine(800, 600))).toEqual('38.25 800 832 912 1024 600 603 607 624 -hsync +vsync'.split(' '));
  });

  it('match the X server’s cvt tool over a grid of sizes', () => {
    // Widths are multiples of 8 but not 1360 (cvt special-cases 1360x768 as 1366x768).
    for (let width = 320; width <= 5120; width += 8 * 37) {
      for (const height of [200, 480, 600, 768, 1024, 1080, 1600, 2160, 2880]) {
        expect(modeLineArgs(cvtModeLine(width, height)), `${width}x${height}`).toEqual(cvt(width, height));
      }
    }
  });

  it('keep the exact width of a window that is not a multiple of 8, with the timings of the next multiple', () => {
    const [clock, hdisplay, ...rest] = modeLineArgs(cvtModeLine(1023, 767));
    const [cvtClock, cvtHdisplay, ...cvtRest] = cvt(1023, 767);
    expect(cvtHdisplay).toBe('1024');
    expect(hdisplay).toBe('1023');
    expect([clock, ...rest]).toEqual([cvtClock, ...cvtRest]);
  });
});
