import { DisplayError, DisplayErrorCode, type DisplayBackend, type DisplayEnv, type OutputRequest, type OutputState } from './backend.js';
import { cvtModeLine, modeLineArgs } from './cvt.js';
import { runTool } from './tool.js';
import { parseXrandrVerbose, type XMode, type XOutput } from './xrandr-query.js';

/** Prefix of the modes this backend creates (and removes once unused). */
export const MODE_PREFIX = 'vdagent-';

/** The best mode of a size on an output: the current one, else the preferred, else the first. */
function pickMode(modes: readonly XMode[], width: number, height: number): XMode | undefined {
  const fit = modes.filter((m) => m.width === width && m.height === height && !m.special);
  return fit.find((m) => m.current) ?? fit.find((m) => m.preferred) ?? fit[0];
}

/**
 * X11 through `xrandr`: modes missing on an output are created (a CVT mode line named
 * `vdagent-WxH`) and added to it; the whole layout (modes, positions, primary, outputs off) is set
 * in one xrandr call, which also sizes the screen; modes of ours no longer used are removed.
 */
export class X11Backend implements DisplayBackend {
  readonly kind = 'x11';

  constructor(private readonly env: DisplayEnv) {}

  async outputs(): Promise<OutputState[]> {
    return (await this.query()).map((o) => {
      const preferred = o.modes.find((m) => m.preferred && !m.special);
      return {
        name: o.name,
        enabled: o.geometry !== undefined,
        x: 0,
        y: 0,
        width: 0,
        height: 0,
        ...o.geometry,
        connected: o.connected,
        ...(preferred && { preferred: { width: preferred.width, height: preferred.height } }),
      };
    });
  }

  async apply(requests: readonly OutputRequest[]): Promise<void> {
    const outputs = await this.query();
    const args: string[] = [];
    for (const r of requests) {
      const out = outputs.find((o) => o.name === r.name);
      if (!out) throw new DisplayError(DisplayErrorCode.NoSuchOutput, `no X output named ${r.name}`);
      if (!r.enabled) {
        if (out.geometry) args.push('--output', out.name, '--off');
        continue;
      }
      const mode = pickMode(out.modes, r.width, r.height)?.id ?? (await this.addMode(out, outputs, r.width, r.height));
      args.push('--output', out.name, '--mode', mode, '--pos', `${r.x}x${r.y}`);
      if (r.primary) args.push('--primary');
    }
    if (args.length > 0) await this.xrandr(args);
    // A mode left over is harmless and goes with the next layout: cleaning up never fails a layout.
    await this.removeUnused().catch(() => undefined);
  }

  async close(): Promise<void> {}

  private async query(): Promise<XOutput[]> {
    return parseXrandrVerbose(await this.xrandr(['--verbose']));
  }

  private xrandr(args: readonly string[]): Promise<string> {
    return runTool('xrandr', args, this.env);
  }

  /** Gives an output a mode of the size: one another output has, else a new CVT mode. Returns its name. */
  private async addMode(out: XOutput, all: readonly XOutput[], width: number, height: number): Promise<string> {
    const elsewhere = all.map((o) => pickMode(o.modes, width, height)).find((m) => m !== undefined);
    const name = elsewhere?.name ?? `${MODE_PREFIX}${width}x${height}`;
    if (!elsewhere) {
      // A mode of that name may exist unattached (left by an earlier run): then creating it fails
      // and adding it below works.
      await this.xrandr(['--newmode', name, ...modeLineArgs(cvtModeLine(width, height))]).catch(() => undefined);
    }
    await this.xrandr(['--addmode', out.name, name]);
    return name;
  }

  /** Detaches our modes no output shows any more, then destroys those no output uses. */
  private async removeUnused(): Promise<void> {
    const outputs = await this.query();
    const ours = (m: XMode): boolean => m.name.startsWith(MODE_PREFIX);
    const inUse = new Set(outputs.flatMap((o) => o.modes.filter((m) => ours(m) && m.current).map((m) => m.name)));
    const detach = outputs.flatMap((o) => o.modes.filter((m) => ours(m) && !inUse.has(m.name)).flatMap((m) => ['--delmode', o.name, m.name]));
    if (detach.length === 0) return;
    await this.xrandr(detach);
    const gone = [...new Set(outputs.flatMap((o) => o.modes.filter((m) => ours(m) && !inUse.has(m.name)).map((m) => m.name)))];
    await this.xrandr(gone.flatMap((name) => ['--rmmode', name]));
  }
}
