/** One mode an X output offers, from `xrandr --verbose`. */
export interface XMode {
  name: string;
  /** The mode's XID as xrandr prints it (`0x4a`). */
  id: string;
  width: number;
  height: number;
  current: boolean;
  preferred: boolean;
  /** Interlaced or double-scan: never chosen for a SPICE monitor. */
  special: boolean;
}

/** One X output, from `xrandr --verbose`. */
export interface XOutput {
  name: string;
  connected: boolean;
  primary: boolean;
  /** Its place on the screen when a CRTC drives it. */
  geometry?: { x: number; y: number; width: number; height: number };
  modes: XMode[];
}

const OUTPUT = /^(\S+) (connected|disconnected|unknown connection)( primary)?(?: (\d+)x(\d+)\+(-?\d+)\+(-?\d+))?/;
const MODE = /^\s+(\S+) \((0x[0-9a-f]+)\)\s+[\d.]+MHz(.*)$/i;
const WIDTH = /^\s+h: width\s+(\d+)/;
const HEIGHT = /^\s+v: height\s+(\d+)/;

/** Parses `xrandr --verbose`: each output with its geometry and its modes. */
export function parseXrandrVerbose(text: string): XOutput[] {
  const outputs: XOutput[] = [];
  let output: XOutput | undefined;
  let mode: XMode | undefined;
  for (const line of text.split('\n')) {
    const o = OUTPUT.exec(line);
    if (o) {
      const [x, y, w, h] = [o[6], o[7], o[4], o[5]].map(Number) as [number, number, number, number];
      output = { name: o[1] as string, connected: o[2] === 'connected', primary: o[3] !== undefined, modes: [] };
      if (o[4] !== undefined) output.geometry = { x, y, width: w, height: h };
      outputs.push(output);
      mode = undefined;
      continue;
    }
    if (/^\S/.test(line)) {
      output = undefined; // "Screen 0: …" or anything else at the left margin
      continue;
    }
    const m = MODE.exec(line);
    if (m && output) {
      const flags = m[3] ?? '';
      mode = {
        name: m[1] as string,
        id: m[2] as string,
        width: 0,
        height: 0,
        current: flags.includes('*current'),
        preferred: flags.includes('+preferred'),
        special: /Interlace|DoubleScan/i.test(flags),
      };
      output.modes.push(mode);
      continue;
    }
    const w = WIDTH.exec(line);
    if (w && mode) mode.width = Number(w[1]);
    const h = HEIGHT.exec(line);
    if (h && mode) mode.height = Number(h[1]);
  }
  return outputs;
}
