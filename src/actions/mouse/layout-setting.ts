import type { Monitor } from '../../platform/display/monitor.js';

const MONITOR = /^(\d{1,5})x(\d{1,5})\+(-?\d{1,5})\+(-?\d{1,5})$/;

/**
 * Parses the mouse entry's `layout` setting: monitors as `WxH+X+Y`, comma-separated, in display-id
 * order (`1024x768+0+0, 800x600+1024+0`). Throws a RangeError on anything else.
 */
export function parseLayoutSetting(value: string): Monitor[] {
  const monitors = value.split(',').map((part) => {
    const m = MONITOR.exec(part.trim());
    const [width, height, x, y] = (m?.slice(1) ?? []).map(Number);
    if (width === undefined || height === undefined || x === undefined || y === undefined || width < 1 || height < 1) {
      throw new RangeError(`expected monitors as WxH+X+Y separated by commas, got ${JSON.stringify(part.trim())}`);
    }
    return { width, height, x, y };
  });
  return monitors;
}

/** The settings check for `layout`. */
export function checkLayoutSetting(value: string): string | undefined {
  try {
    parseLayoutSetting(value);
    return undefined;
  } catch (err) {
    return err instanceof RangeError ? err.message : String(err);
  }
}
