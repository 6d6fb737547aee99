import { DisplayError, DisplayErrorCode, type DisplayBackend, type DisplayEnv, type OutputRequest, type OutputState } from './backend.js';
import { runTool } from './tool.js';

/** An output of `kscreen-doctor -j`. */
interface KscreenOutput {
  name: string;
  enabled: boolean;
  x: number;
  y: number;
  scale: number;
  currentModeId: string;
  /** The ids of its preferred modes (libkscreen's `preferredModes`), the first the one KScreen prefers. */
  preferredModeIds: string[];
  connected: boolean;
  modes: { id: string; width: number; height: number; refresh: number }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const numberOr = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
const label = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const size = (v: unknown): { width: number; height: number } => (isObject(v) ? { width: numberOr(v.width, 0), height: numberOr(v.height, 0) } : { width: 0, height: 0 });

/** Parses `kscreen-doctor -j` (libkscreen's serialized configuration). */
export function parseKscreenJson(text: string): KscreenOutput[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.slice(text.indexOf('{')));
  } catch {
    throw new DisplayError(DisplayErrorCode.BadAnswer, 'kscreen-doctor -j: not JSON');
  }
  if (!isObject(doc) || !Array.isArray(doc.outputs)) throw new DisplayError(DisplayErrorCode.BadAnswer, 'kscreen-doctor -j: no outputs');
  return doc.outputs.filter(isObject).map((o) => ({
    name: label(o.name),
    enabled: o.enabled === true,
    x: isObject(o.pos) ? numberOr(o.pos.x, 0) : 0,
    y: isObject(o.pos) ? numberOr(o.pos.y, 0) : 0,
    scale: numberOr(o.scale, 1) || 1,
    currentModeId: label(o.currentModeId),
    preferredModeIds: (Array.isArray(o.preferredModes) ? o.preferredModes : []).map(label),
    connected: o.connected !== false,
    modes: (Array.isArray(o.modes) ? o.modes : []).filter(isObject).map((m) => ({ id: label(m.id), ...size(m.size), refresh: numberOr(m.refreshRate, 0) })),
  }));
}

/**
 * kscreen-doctor's environment. libkscreen picks its backend by Qt's platform, and Qt takes xcb
 * unless XDG_SESSION_TYPE says wayland: on a Wayland session it would then ask Xwayland's RandR, or
 * abort without DISPLAY. So where WAYLAND_DISPLAY is set, Qt's wayland platform is named, which
 * reaches KWin's output management (kde_output_device_v2).
 */
function kscreenEnv(env: DisplayEnv): DisplayEnv {
  return env.WAYLAND_DISPLAY ? { ...env, QT_QPA_PLATFORM: 'wayland' } : env;
}

/**
 * KDE Plasma through `kscreen-doctor`: `-j` reads the outputs; one call with
 * `output.NAME.enable output.NAME.mode.ID output.NAME.position.X,Y` (or `output.NAME.disable`)
 * per output applies the layout. KScreen cannot make modes: a size no mode has is an error.
 * Positions are logical: divided by the output's scale.
 */
export class KscreenBackend implements DisplayBackend {
  readonly kind = 'kde';

  private readonly env: DisplayEnv;

  constructor(env: DisplayEnv) {
    this.env = kscreenEnv(env);
  }

  async outputs(): Promise<OutputState[]> {
    return (await this.query()).map((o) => {
      const mode = o.modes.find((m) => m.id === o.currentModeId);
      const preferred = o.modes.find((m) => m.id === o.preferredModeIds[0]);
      const extra = { connected: o.connected, ...(preferred && { preferred: { width: preferred.width, height: preferred.height } }) };
      return o.enabled && mode
        ? { name: o.name, enabled: true, x: Math.round(o.x * o.scale), y: Math.round(o.y * o.scale), width: mode.width, height: mode.height, ...extra }
        : { name: o.name, enabled: false, x: 0, y: 0, width: 0, height: 0, ...extra };
    });
  }

  async apply(requests: readonly OutputRequest[]): Promise<void> {
    const outputs = await this.query();
    const args: string[] = [];
    for (const r of requests) {
      const out = outputs.find((o) => o.name === r.name);
      if (!out) throw new DisplayError(DisplayErrorCode.NoSuchOutput, `kscreen has no output ${r.name}`);
      if (!r.enabled) {
        if (out.enabled) args.push(`output.${out.name}.disable`);
        continue;
      }
      const fit = out.modes.filter((m) => m.width === r.width && m.height === r.height);
      const mode = fit.find((m) => m.id === out.currentModeId) ?? [...fit].sort((a, b) => b.refresh - a.refresh)[0];
      if (!mode) throw new DisplayError(DisplayErrorCode.NoSuchMode, `kscreen has no ${r.width}x${r.height} mode on ${r.name}`);
      const at = (v: number): number => Math.round(v / out.scale);
      args.push(`output.${out.name}.enable`, `output.${out.name}.mode.${mode.id}`, `output.${out.name}.position.${at(r.x)},${at(r.y)}`);
    }
    if (args.length > 0) await runTool('kscreen-doctor', args, this.env);
  }

  async close(): Promise<void> {}

  private async query(): Promise<KscreenOutput[]> {
    return parseKscreenJson(await runTool('kscreen-doctor', ['-j'], this.env));
  }
}
