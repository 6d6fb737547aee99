import { setTimeout as sleep } from 'node:timers/promises';
import { DisplayError, DisplayErrorCode, type DisplayBackend, type DisplayEnv, type OutputRequest, type OutputState } from './backend.js';
import { runTool, type DoneMarker } from './tool.js';

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
 * reaches KWin's output management (kde_output_device_v2). Its own debug category is switched on:
 * the line it logs once it handed a change to KWin is what {@link APPLIED} looks for.
 */
function kscreenEnv(env: DisplayEnv): DisplayEnv {
  const rules = [env.QT_LOGGING_RULES, 'kscreen.doctor.debug=true'].filter(Boolean).join(';');
  return { ...env, QT_LOGGING_RULES: rules, ...(env.WAYLAND_DISPLAY && { QT_QPA_PLATFORM: 'wayland' }) };
}

/**
 * kscreen-doctor's work is done once it logs that the set operation returned, the change handed to
 * KWin. On Wayland it can then hang on its way out (Debian 12's Qt 5.15.8: the display's
 * destructor waits for its event thread, which waits for a read the main thread prepared and never
 * made; here about one apply in 60 with both cores busy, and no `-j` read in 260): a second later
 * it is killed, and the outputs read back say whether the change took.
 */
const APPLIED: Readonly<DoneMarker> = { stderr: 'setop exec returned', graceMs: 1000 };

/**
 * How many times, and how far apart, the outputs are read back before an apply counts as not
 * applied: KWin takes the change after kscreen-doctor handed it over, and on X11 libkscreen learns
 * of it from RandR's events.
 */
const READ_BACK = { tries: 3, apartMs: 300 } as const;

/** Runs kscreen-doctor on a session's environment and resolves with what it printed. */
export function kscreenDoctor(args: readonly string[], env: DisplayEnv): Promise<string> {
  return runTool('kscreen-doctor', args, kscreenEnv(env), APPLIED);
}

/**
 * KDE Plasma through `kscreen-doctor`: `-j` reads the outputs; one call with
 * `output.NAME.enable output.NAME.mode.ID output.NAME.position.X,Y` (or `output.NAME.disable`)
 * per output applies the layout. KScreen cannot make modes: a size no mode has is an error.
 * Positions are logical: divided by the output's scale. kscreen-doctor exits 0 whatever KWin
 * answered, so the outputs are read back: a layout not shown fails the apply with NotApplied.
 */
export class KscreenBackend implements DisplayBackend {
  readonly kind = 'kde';

  constructor(private readonly env: DisplayEnv) {}

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
    const wanted: { name: string; shown: (o: KscreenOutput | undefined) => boolean; describes: string }[] = [];
    for (const r of requests) {
      const out = outputs.find((o) => o.name === r.name);
      if (!out) throw new DisplayError(DisplayErrorCode.NoSuchOutput, `kscreen has no output ${r.name}`);
      if (!r.enabled) {
        if (out.enabled) args.push(`output.${out.name}.disable`);
        // An output gone since (unplugged) is off too.
        wanted.push({ name: out.name, shown: (o) => !o?.enabled, describes: 'off' });
        continue;
      }
      const fit = out.modes.filter((m) => m.width === r.width && m.height === r.height);
      const mode = fit.find((m) => m.id === out.currentModeId) ?? [...fit].sort((a, b) => b.refresh - a.refresh)[0];
      if (!mode) throw new DisplayError(DisplayErrorCode.NoSuchMode, `kscreen has no ${r.width}x${r.height} mode on ${r.name}`);
      const x = Math.round(r.x / out.scale);
      const y = Math.round(r.y / out.scale);
      args.push(`output.${out.name}.enable`, `output.${out.name}.mode.${mode.id}`, `output.${out.name}.position.${x},${y}`);
      wanted.push({ name: out.name, shown: (o) => o?.enabled === true && o.currentModeId === mode.id && o.x === x && o.y === y, describes: `mode ${mode.id} at ${x},${y}` });
    }
    if (args.length === 0) return;
    await kscreenDoctor(args, this.env);
    for (let read = 1; ; read++) {
      const after = await this.query();
      const missed = wanted.filter((w) => !w.shown(after.find((o) => o.name === w.name)));
      if (missed.length === 0) return;
      if (read === READ_BACK.tries) throw new DisplayError(DisplayErrorCode.NotApplied, `kscreen-doctor exited, yet ${missed.map((w) => `${w.name} is not ${w.describes}`).join('; ')}`);
      await sleep(READ_BACK.apartMs);
    }
  }

  async close(): Promise<void> {}

  private async query(): Promise<KscreenOutput[]> {
    return parseKscreenJson(await kscreenDoctor(['-j'], this.env));
  }
}
