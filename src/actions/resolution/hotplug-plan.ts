import type { OutputRequest, OutputState } from '../../platform/display/backend.js';
import { leftToRight, type Monitor } from '../../platform/display/monitor.js';

/** For this long after a MONITORS_CONFIG was applied, hotplugs change nothing (the client's own layout wins). */
export const MONITORS_CONFIG_HOLD_MS = 5000;

/** What a hotplug is compared against: each output's connection and preferred size (`connected 1280x800`, `disconnected`). */
export type ConnectorSnapshot = ReadonlyMap<string, string>;

/** Why a hotplug changes nothing, or the layout it applies. */
export type HotplugPlan =
  | { action: 'none'; why: 'unchanged' | 'already-applied' | 'monitors-config' | 'no-monitor' }
  | { action: 'apply'; requests: OutputRequest[]; desktop: Monitor[] };

/** The state of one output that a hotplug may change. */
const connectorState = (o: OutputState): string => (o.connected === false ? 'disconnected' : `connected ${o.preferred ? `${o.preferred.width}x${o.preferred.height}` : 'no-preferred'}`);

/** Each output's connection and preferred size, as a hotplug is compared against. */
export function connectorSnapshot(outputs: readonly OutputState[]): ConnectorSnapshot {
  return new Map(outputs.map((o) => [o.name, connectorState(o)]));
}

/**
 * What a DRM hotplug does to the desktop (`xrandr --auto` semantics): nothing unless an output's
 * connection or preferred size changed since `before`; nothing either within
 * MONITORS_CONFIG_HOLD_MS of an applied MONITORS_CONFIG (`msSinceMonitorsConfig`). Otherwise every
 * connected output shows its preferred size (one without a preferred mode keeps its size, or stays
 * off), disconnected outputs go off, and the monitors are laid left to right at y = 0 in the
 * desktop's output order, the first primary, as spice-vdagent lays them. Nothing when the desktop
 * already shows those sizes (it applied them itself: GNOME, KWin, sway) or when no output would be on.
 */
export function planHotplug(outputs: readonly OutputState[], before: ConnectorSnapshot, msSinceMonitorsConfig: number): HotplugPlan {
  const now = connectorSnapshot(outputs);
  const changed = [...now].some(([name, state]) => before.get(name) !== state) || [...before.keys()].some((name) => !now.has(name));
  if (!changed) return { action: 'none', why: 'unchanged' };
  if (msSinceMonitorsConfig < MONITORS_CONFIG_HOLD_MS) return { action: 'none', why: 'monitors-config' };
  const sizes = outputs.flatMap((o) => {
    if (o.connected === false) return [];
    const size = o.preferred ?? (o.enabled ? { width: o.width, height: o.height } : undefined);
    return size ? [{ name: o.name, ...size }] : [];
  });
  if (sizes.length === 0) return { action: 'none', why: 'no-monitor' };
  const shown = (o: OutputState): boolean => {
    const want = sizes.find((s) => s.name === o.name);
    return want ? o.enabled && o.width === want.width && o.height === want.height : !o.enabled;
  };
  if (outputs.every(shown)) return { action: 'none', why: 'already-applied' };
  const laid = leftToRight(sizes);
  const requests: OutputRequest[] = outputs.map((o) => {
    const at = laid.find((l) => l.name === o.name);
    return at ? { name: o.name, enabled: true, x: at.x, y: at.y, width: at.width, height: at.height, primary: at === laid[0] } : { name: o.name, enabled: false };
  });
  return { action: 'apply', requests, desktop: laid.map((l) => ({ x: l.x, y: l.y, width: l.width, height: l.height, output: l.name })) };
}
