import type { DisplayEnv } from './backend.js';
import { runTool } from './tool.js';
import type { WlrChange, WlrOutput, WlrOutputTool } from './wlr-output.js';

/**
 * Parses `wlr-randr`'s text output: an unindented line per output (its name first), then
 * `Enabled:`, `Modes:` (one `WxH px, R Hz (preferred, current)` line each), `Position: X,Y` and
 * `Scale:` lines. Other lines (make, model, physical size, transform, adaptive sync) are skipped.
 */
export function parseWlrRandr(text: string): WlrOutput[] {
  const outputs: WlrOutput[] = [];
  let out: WlrOutput | undefined;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      out = { name: line.split(' ')[0] as string, enabled: false, x: 0, y: 0, scale: 1, modes: [] };
      outputs.push(out);
      continue;
    }
    if (!out) continue;
    const enabled = /^\s+Enabled: (\S+)/.exec(line);
    if (enabled) out.enabled = enabled[1] === 'yes';
    const mode = /^\s+(\d+)x(\d+) px(?:, [\d.]+ Hz)?(?: \((.*)\))?/.exec(line);
    if (mode) out.modes.push({ width: Number(mode[1]), height: Number(mode[2]), current: (mode[3] ?? '').includes('current'), preferred: (mode[3] ?? '').includes('preferred') });
    const pos = /^\s+Position: (-?\d+),(-?\d+)/.exec(line);
    if (pos) [out.x, out.y] = [Number(pos[1]), Number(pos[2])];
    const scale = /^\s+Scale: ([\d.]+)/.exec(line);
    if (scale) out.scale = Number(scale[1]) || 1;
  }
  return outputs;
}

/** wlr-randr's arguments for `changes`, one call for all: `--output NAME --on --mode|--custom-mode WxH --pos X,Y`, `--output NAME --off`. */
export function wlrRandrArgs(changes: readonly WlrChange[]): string[] {
  return changes.flatMap((c) => (c.enabled ? ['--output', c.name, '--on', c.listed ? '--mode' : '--custom-mode', `${c.width}x${c.height}`, '--pos', `${c.x},${c.y}`] : ['--output', c.name, '--off']));
}

/** `wlr-randr` (the wlr-output-management protocol) on the compositor that `env` names. */
export function wlrRandr(env: DisplayEnv): WlrOutputTool {
  return {
    name: 'wlr-randr',
    read: async () => parseWlrRandr(await runTool('wlr-randr', [], env)),
    apply: async (changes) => void (await runTool('wlr-randr', wlrRandrArgs(changes), env)),
  };
}
