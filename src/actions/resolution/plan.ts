import { MonitorsConfigFlag, type MonitorConfig, type MonitorsConfigMessage } from '../../protocol/index.js';
import type { OutputRequest, OutputState } from '../../platform/display/backend.js';
import { leftToRight, type Monitor } from '../../platform/display/monitor.js';
import type { DisplayMap } from '../../desktop/display-map.js';

/** Largest width or height accepted for a monitor (larger requests are answered with ERROR). */
export const MAX_DIMENSION = 16384;

/** Why a MONITORS_CONFIG cannot be applied. */
export enum PlanProblem {
  /** Every entry is off (width or height 0): the desktop would vanish. */
  NoMonitor = 'no-monitor',
  /** An entry is larger than MAX_DIMENSION. */
  TooLarge = 'too-large',
  /** No enabled entry has an output to show it. */
  NoOutput = 'no-output',
}

/** A layout ready for the backend: what each output becomes, and the desktop that results. */
export interface Plan {
  requests: OutputRequest[];
  /** The monitors of the new desktop, with their outputs and display ids, for the mouse's tablet. */
  desktop: Monitor[];
  /** Indices of enabled entries no output is left for (clamped away). */
  ignored: number[];
}

/** An entry with width or height 0 is a disabled monitor (spec §9, §15.8). */
export const isEnabled = (m: MonitorConfig): boolean => m.width > 0 && m.height > 0;

/** Checks a MONITORS_CONFIG before anything is done with it: the problem, or undefined. */
export function checkMonitorsConfig(message: MonitorsConfigMessage): PlanProblem | undefined {
  const enabled = message.monitors.filter(isEnabled);
  if (enabled.length === 0) return PlanProblem.NoMonitor;
  if (enabled.some((m) => m.width > MAX_DIMENSION || m.height > MAX_DIMENSION)) return PlanProblem.TooLarge;
  return undefined;
}

/**
 * Lays a MONITORS_CONFIG onto the outputs. Entry i goes to the output the display map gives
 * display id i (else output i, else the first free one); entries beyond the outputs are ignored.
 * With USE_POS the positions are kept, shifted as a whole so the top-left monitor is at 0,0
 * (negative positions are clamped this way); without it the monitors go left to right at y = 0 in
 * entry order. Every output no enabled entry lands on is switched off. The first enabled entry is
 * the primary monitor.
 */
export function planLayout(message: MonitorsConfigMessage, outputs: readonly OutputState[], displays: DisplayMap): Plan | PlanProblem {
  const problem = checkMonitorsConfig(message);
  if (problem) return problem;
  const assigned = displays.assign(
    message.monitors.map((_, i) => i),
    outputs.map((o) => o.name),
  );
  const ignored: number[] = [];
  const placed: { index: number; output: string; width: number; height: number; x: number; y: number }[] = [];
  message.monitors.forEach((m, index) => {
    if (!isEnabled(m)) return;
    const at = assigned.get(index);
    const output = at === undefined ? undefined : outputs[at];
    if (output) placed.push({ index, output: output.name, width: m.width, height: m.height, x: m.x, y: m.y });
    else ignored.push(index);
  });
  if (placed.length === 0) return PlanProblem.NoOutput;
  let laid = placed;
  if (message.flags & MonitorsConfigFlag.UsePos) {
    const x0 = Math.min(...placed.map((p) => p.x));
    const y0 = Math.min(...placed.map((p) => p.y));
    laid = placed.map((p) => ({ ...p, x: p.x - x0, y: p.y - y0 }));
  } else {
    laid = leftToRight(placed);
  }
  const primary = laid[0]?.index;
  const requests: OutputRequest[] = outputs.map((o) => {
    const p = laid.find((l) => l.output === o.name);
    return p ? { name: o.name, enabled: true, x: p.x, y: p.y, width: p.width, height: p.height, primary: p.index === primary } : { name: o.name, enabled: false };
  });
  return { requests, desktop: laid.map((p) => ({ x: p.x, y: p.y, width: p.width, height: p.height, output: p.output, displayId: p.index })), ignored };
}
