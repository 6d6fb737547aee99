/** An X mode line: the pixel clock in kHz and the horizontal and vertical timings. */
export interface ModeLine {
  clockKHz: number;
  hdisplay: number;
  hsyncStart: number;
  hsyncEnd: number;
  htotal: number;
  vdisplay: number;
  vsyncStart: number;
  vsyncEnd: number;
  vtotal: number;
}

/** CVT constants (VESA Coordinated Video Timings 1.1, as the X server's `cvt` applies them). */
const CELL = 8;
const MIN_V_PORCH = 3;
const MIN_VSYNC_BP_US = 550;
const HSYNC_PERCENT = 8;
const C_PRIME = 30;
const M_PRIME = 300;
const CLOCK_STEP_KHZ = 250;

/** The vertical sync width CVT gives each aspect ratio (4:3, 16:9, 16:10, 5:4, 15:9; others 10). */
function vsyncWidth(h: number, v: number): number {
  if (v % 3 === 0 && Math.floor((v * 4) / 3) === h) return 4;
  if (v % 9 === 0 && Math.floor((v * 16) / 9) === h) return 5;
  if (v % 10 === 0 && Math.floor((v * 16) / 10) === h) return 6;
  if (v % 4 === 0 && Math.floor((v * 5) / 4) === h) return 7;
  if (v % 9 === 0 && Math.floor((v * 15) / 9) === h) return 7;
  return 10;
}

/**
 * A CVT mode line (normal blanking, not interlaced) for `width`×`height` at `refresh` Hz, computed
 * as the X server's `cvt` does (single-precision line period, its rounding of the sync start).
 * The timings are those `cvt` prints for the width rounded up to a multiple of 8, but the mode
 * keeps the exact width asked for: a SPICE client window is rarely a multiple of 8 pixels wide.
 */
export function cvtModeLine(width: number, height: number, refresh = 60): ModeLine {
  const f = Math.fround;
  const h = Math.ceil(width / CELL) * CELL;
  const v = height;
  const vsync = vsyncWidth(h, v);
  const hperiodUs = f(f(1_000_000 / f(refresh) - MIN_VSYNC_BP_US) / (v + MIN_V_PORCH));
  const vsyncBp = Math.max(Math.trunc(MIN_VSYNC_BP_US / hperiodUs) + 1, vsync + MIN_V_PORCH);
  const duty = f(Math.max(f(C_PRIME - (M_PRIME * hperiodUs) / 1000), 20));
  let hblank = Math.trunc((h * duty) / (100 - duty));
  hblank -= hblank % (2 * CELL);
  const htotal = h + hblank;
  const hsyncEnd = h + hblank / 2;
  let hsyncStart = hsyncEnd - Math.trunc((htotal * HSYNC_PERCENT) / 100);
  hsyncStart += CELL - (hsyncStart % CELL);
  let clockKHz = Math.trunc((htotal * 1000) / hperiodUs);
  clockKHz -= clockKHz % CLOCK_STEP_KHZ;
  return {
    clockKHz,
    hdisplay: width,
    hsyncStart,
    hsyncEnd,
    htotal,
    vdisplay: v,
    vsyncStart: v + MIN_V_PORCH,
    vsyncEnd: v + MIN_V_PORCH + vsync,
    vtotal: v + vsyncBp + MIN_V_PORCH,
  };
}

/** The mode line as `xrandr --newmode` takes it after the name: clock in MHz, timings, sync polarities. */
export function modeLineArgs(m: ModeLine): string[] {
  return [
    (m.clockKHz / 1000).toFixed(2),
    ...[m.hdisplay, m.hsyncStart, m.hsyncEnd, m.htotal, m.vdisplay, m.vsyncStart, m.vsyncEnd, m.vtotal].map(String),
    '-hsync',
    '+vsync',
  ];
}
