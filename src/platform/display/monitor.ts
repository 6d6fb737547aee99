/** A monitor of the desktop: its place and size in desktop pixels, and the output showing it. */
export interface Monitor {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The output's name (`Virtual-1`, `DUMMY0`, `HEADLESS-1`), when known. */
  output?: string;
  /** The SPICE display id it shows (its MONITORS_CONFIG index), when known; else its place in the list is. */
  displayId?: number;
}

/** A rectangle in desktop pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The smallest rectangle holding every monitor (0×0 at the origin for none). */
export function desktopBounds(monitors: readonly Rect[]): Rect {
  if (monitors.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
  const x = Math.min(...monitors.map((m) => m.x));
  const y = Math.min(...monitors.map((m) => m.y));
  const right = Math.max(...monitors.map((m) => m.x + m.width));
  const bottom = Math.max(...monitors.map((m) => m.y + m.height));
  return { x, y, width: right - x, height: bottom - y };
}

/** Places sizes left to right at y = 0, in order. */
export function leftToRight<T extends { width: number; height: number }>(sizes: readonly T[]): (T & { x: number; y: number })[] {
  let x = 0;
  return sizes.map((s) => {
    const placed = { ...s, x, y: 0 };
    x += s.width;
    return placed;
  });
}
