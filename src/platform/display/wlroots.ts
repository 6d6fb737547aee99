import { DisplayError, DisplayErrorCode, type DisplayBackend, type DisplayEnv, type OutputRequest, type OutputState } from './backend.js';
import { readDrmCards, SYSFS, type DrmCard } from '../drm/connectors.js';
import { runTool } from './tool.js';

/** An output as `wlr-randr` prints it. */
interface WlrOutput {
  name: string;
  enabled: boolean;
  x: number;
  y: number;
  scale: number;
  modes: { width: number; height: number; current: boolean; preferred: boolean }[];
}

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

/**
 * The outputs with each DRM connector's preferred mode as the kernel has it now (the first of its
 * sysfs `modes`), where an output is a connector of `cards` by name: wlroots (through 0.18 at
 * least) reads a connector's modes once, when it connects, so after a display device's hotplug
 * (virtio-gpu, qxl) its list, and wlr-randr's, still shows the old preferred mode.
 */
export function withKernelPreferred(outputs: readonly OutputState[], cards: readonly DrmCard[]): OutputState[] {
  const connectors = cards.flatMap((c) => c.connectors);
  return outputs.map((o) => {
    const mode = connectors.find((c) => c.name === o.name && c.status === 'connected')?.modes[0];
    return mode ? { ...o, preferred: { width: mode.width, height: mode.height } } : o;
  });
}

/**
 * wlroots compositors (sway, Hyprland, river, labwc, Wayfire) through `wlr-randr` and the
 * wlr-output-management protocol: one call sets every output (`--on --mode WxH`, or
 * `--custom-mode WxH` when the output lists no such mode, `--pos X,Y` in logical pixels;
 * `--off` for outputs to switch off that are on).
 */
export class WlrootsBackend implements DisplayBackend {
  readonly kind = 'wlroots';

  constructor(
    private readonly env: DisplayEnv,
    private readonly sysRoot: string = SYSFS,
  ) {}

  async outputs(): Promise<OutputState[]> {
    const outputs = (await this.query()).map((o): OutputState => {
      const mode = o.modes.find((m) => m.current);
      const preferred = o.modes.find((m) => m.preferred);
      const extra = preferred ? { preferred: { width: preferred.width, height: preferred.height } } : {};
      return o.enabled && mode
        ? { name: o.name, enabled: true, x: Math.round(o.x * o.scale), y: Math.round(o.y * o.scale), width: mode.width, height: mode.height, ...extra }
        : { name: o.name, enabled: o.enabled, x: 0, y: 0, width: 0, height: 0, ...extra };
    });
    return withKernelPreferred(outputs, readDrmCards(this.sysRoot));
  }

  async apply(requests: readonly OutputRequest[]): Promise<void> {
    const outputs = await this.query();
    const args: string[] = [];
    for (const r of requests) {
      const out = outputs.find((o) => o.name === r.name);
      if (!out) throw new DisplayError(DisplayErrorCode.NoSuchOutput, `the compositor has no output ${r.name}`);
      if (!r.enabled) {
        if (out.enabled) args.push('--output', out.name, '--off');
        continue;
      }
      const listed = out.modes.some((m) => m.width === r.width && m.height === r.height);
      const at = (v: number): number => Math.round(v / out.scale);
      args.push('--output', out.name, '--on', listed ? '--mode' : '--custom-mode', `${r.width}x${r.height}`, '--pos', `${at(r.x)},${at(r.y)}`);
    }
    if (args.length > 0) await runTool('wlr-randr', args, this.env);
  }

  async close(): Promise<void> {}

  private async query(): Promise<WlrOutput[]> {
    return parseWlrRandr(await runTool('wlr-randr', [], this.env));
  }
}
