import type { MessageBus, Variant } from 'dbus-next';
import { DisplayError, DisplayErrorCode, type DisplayBackend, type DisplayEnv, type OutputRequest, type OutputState } from './backend.js';

const NAME = 'org.gnome.Mutter.DisplayConfig';
const PATH = '/org/gnome/Mutter/DisplayConfig';
/** ApplyMonitorsConfig method 1: temporary (no "keep these settings?" dialog, not saved). */
const TEMPORARY = 1;
/** The `layout-mode` property value for logical (scaled) coordinates. */
const LAYOUT_LOGICAL = 1;
const CALL_TIMEOUT_MS = 10_000;

/**
 * Loads the D-Bus client (on first use: other desktops never need it). The session helper calls it
 * before it drops privileges: as the session's user it may not be able to read the installation.
 */
export const loadDbusClient = () => import('dbus-next');

/** A Mutter mode: id, size, refresh, preferred scale, supported scales, properties. */
interface MutterMode {
  id: string;
  width: number;
  height: number;
  refresh: number;
  preferredScale: number;
  scales: number[];
  current: boolean;
}

/** A physical monitor of GetCurrentState, by connector. */
interface MutterMonitor {
  spec: [string, string, string, string];
  modes: MutterMode[];
}

/** A logical monitor of GetCurrentState. */
interface LogicalMonitor {
  x: number;
  y: number;
  scale: number;
  transform: number;
  connectors: string[];
}

/** The parts of GetCurrentState the backend uses. */
interface MutterState {
  serial: number;
  monitors: MutterMonitor[];
  logical: LogicalMonitor[];
  layoutMode: number;
}

const bad = (what: string): DisplayError => new DisplayError(DisplayErrorCode.BadAnswer, `Mutter GetCurrentState: unexpected ${what}`);
const list = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw bad(what);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number') throw bad(what);
  return v;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw bad(what);
  return v;
};
const prop = (props: unknown, key: string): unknown => (props && typeof props === 'object' ? (props as Record<string, Variant | undefined>)[key]?.value : undefined);

/** Reads the body of GetCurrentState `(u a((ssss)a(siiddada{sv})a{sv}) a(iiduba(ssss)a{sv}) a{sv})`. */
function parseState(body: unknown[]): MutterState {
  const [serial, monitors, logical, props] = body;
  return {
    serial: num(serial, 'serial'),
    monitors: list(monitors, 'monitors').map((m) => {
      const [spec, modes] = list(m, 'monitor');
      const s = list(spec, 'monitor spec').map((x) => str(x, 'monitor spec'));
      return {
        spec: [s[0] ?? '', s[1] ?? '', s[2] ?? '', s[3] ?? ''],
        modes: list(modes, 'modes').map((raw) => {
          const [id, width, height, refresh, preferredScale, scales, mp] = list(raw, 'mode');
          return {
            id: str(id, 'mode id'),
            width: num(width, 'mode width'),
            height: num(height, 'mode height'),
            refresh: num(refresh, 'refresh rate'),
            preferredScale: num(preferredScale, 'scale'),
            scales: list(scales, 'scales').map((x) => num(x, 'scale')),
            current: prop(mp, 'is-current') === true,
          };
        }),
      };
    }),
    logical: list(logical, 'logical monitors').map((l) => {
      const [x, y, scale, transform, , specs] = list(l, 'logical monitor');
      return {
        x: num(x, 'x'),
        y: num(y, 'y'),
        scale: num(scale, 'scale'),
        transform: num(transform, 'transform'),
        connectors: list(specs, 'monitor specs').map((s) => str(list(s, 'monitor spec')[0], 'connector')),
      };
    }),
    layoutMode: typeof prop(props, 'layout-mode') === 'number' ? (prop(props, 'layout-mode') as number) : 2,
  };
}

/**
 * GNOME through Mutter's `org.gnome.Mutter.DisplayConfig` on the session bus: GetCurrentState
 * gives the monitors, their modes and the logical monitors; ApplyMonitorsConfig (temporary) sets
 * one logical monitor per enabled output, keeping its scale when the new mode supports it (in the
 * logical layout mode positions are divided by that scale). Mutter cannot make modes: a size no
 * mode has is an error.
 */
export class MutterBackend implements DisplayBackend {
  readonly kind = 'gnome';
  private bus: MessageBus | undefined;

  constructor(private readonly env: DisplayEnv) {}

  async outputs(): Promise<OutputState[]> {
    const state = await this.state();
    return state.monitors.map((m) => {
      const connector = m.spec[0];
      const lm = state.logical.find((l) => l.connectors.includes(connector));
      const mode = m.modes.find((x) => x.current);
      return lm && mode
        ? { name: connector, enabled: true, x: this.toPixels(lm.x, lm.scale, state), y: this.toPixels(lm.y, lm.scale, state), width: mode.width, height: mode.height }
        : { name: connector, enabled: false, x: 0, y: 0, width: 0, height: 0 };
    });
  }

  async apply(requests: readonly OutputRequest[]): Promise<void> {
    const state = await this.state();
    const wanted = new Set(requests.map((r) => r.name));
    const logical: unknown[] = [];
    for (const r of requests) {
      const monitor = state.monitors.find((m) => m.spec[0] === r.name);
      if (!monitor) throw new DisplayError(DisplayErrorCode.NoSuchOutput, `Mutter has no monitor ${r.name}`);
      if (!r.enabled) continue;
      const fit = monitor.modes.filter((m) => m.width === r.width && m.height === r.height);
      const mode = fit.find((m) => m.current) ?? [...fit].sort((a, b) => b.refresh - a.refresh)[0];
      if (!mode) throw new DisplayError(DisplayErrorCode.NoSuchMode, `Mutter has no ${r.width}x${r.height} mode on ${r.name}`);
      const before = state.logical.find((l) => l.connectors.includes(r.name));
      const scale = before && mode.scales.includes(before.scale) ? before.scale : mode.preferredScale;
      const at = (v: number): number => (state.layoutMode === LAYOUT_LOGICAL ? Math.round(v / scale) : v);
      logical.push([at(r.x), at(r.y), scale, before?.transform ?? 0, r.primary, [[r.name, mode.id, {}]]]);
    }
    // Monitors the request does not name keep their logical monitor.
    for (const l of state.logical) {
      if (l.connectors.some((c) => wanted.has(c))) continue;
      const kept = l.connectors.map((c) => [c, state.monitors.find((m) => m.spec[0] === c)?.modes.find((x) => x.current)?.id ?? '', {}]);
      logical.push([l.x, l.y, l.scale, l.transform, false, kept]);
    }
    await this.call('ApplyMonitorsConfig', 'uua(iiduba(ssa{sv}))a{sv}', [state.serial, TEMPORARY, logical, {}]).catch((err: unknown) => {
      throw new DisplayError(DisplayErrorCode.Refused, `Mutter refused the configuration: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  async close(): Promise<void> {
    this.bus?.disconnect();
    this.bus = undefined;
  }

  private toPixels(v: number, scale: number, state: MutterState): number {
    return state.layoutMode === LAYOUT_LOGICAL ? Math.round(v * scale) : v;
  }

  private async state(): Promise<MutterState> {
    return parseState(await this.call('GetCurrentState', '', []));
  }

  private async call(member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    const { default: dbus } = await loadDbusClient();
    if (!this.bus) {
      const fresh = dbus.sessionBus({ busAddress: this.env.DBUS_SESSION_BUS_ADDRESS });
      // A lost connection is made again on the next call.
      fresh.on('error', () => {
        if (this.bus === fresh) this.bus = undefined;
      });
      this.bus = fresh;
    }
    const bus = this.bus;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DisplayError(DisplayErrorCode.ToolFailed, `Mutter ${member}: no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    });
    try {
      const reply = await Promise.race([bus.call(new dbus.Message({ destination: NAME, path: PATH, interface: NAME, member, signature, body })), timeout]);
      const values: unknown[] = reply?.body ?? [];
      return values;
    } finally {
      clearTimeout(timer);
    }
  }
}
