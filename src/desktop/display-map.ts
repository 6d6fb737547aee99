import { EventEmitter } from 'node:events';
import type { DeviceDisplayInfo } from '../protocol/index.js';
import { readDrmCards, SYSFS } from '../platform/drm/connectors.js';
import { parseDeviceAddress, pciPathOfSysfs, samePciPath } from './device-address.js';

/**
 * The names an X11 or Wayland output may have for a DRM connector: the connector name itself
 * (modesetting on virtio-gpu, Wayland compositors: `Virtual-1`), the modesetting X driver's
 * spelling of HDMI (`HDMI-A-1` → `HDMI-1`), and the QXL X driver's (`Virtual-1` → `qxl-0`).
 */
export function outputNames(connector: string): string[] {
  const names = [connector];
  const hdmi = /^HDMI-A-(\d+)$/.exec(connector);
  if (hdmi) names.push(`HDMI-${hdmi[1]}`);
  const virtual = /^Virtual-(\d+)$/.exec(connector);
  if (virtual) names.push(`qxl-${Number(virtual[1]) - 1}`);
  return names;
}

/**
 * Maps SPICE display ids (`channel_id + monitor_id`, the index of MOUSE_STATE `display_id` and of
 * MONITORS_CONFIG entries) to DRM connectors, from the last GRAPHICS_DEVICE_INFO: the device
 * address is matched with the PCI path of each DRM card's sysfs device, and `device_display_id`
 * indexes that card's connectors in kernel order. Without an entry, display id n is output n.
 */
export class DisplayMap extends EventEmitter<{ change: [] }> {
  private connectors = new Map<number, string>();
  private last: readonly DeviceDisplayInfo[] = [];

  constructor(private readonly sysRoot: string = SYSFS) {
    super();
  }

  /** The last device list applied (the daemon hands it on to the session helper). */
  get devices(): readonly DeviceDisplayInfo[] {
    return this.last;
  }

  /** Applies a device list; returns the display ids that map to a connector. */
  setDevices(devices: readonly DeviceDisplayInfo[]): number[] {
    const cards = readDrmCards(this.sysRoot);
    const next = new Map<number, string>();
    for (const d of devices) {
      const want = parseDeviceAddress(d.deviceAddress);
      if (!want) continue;
      const card = cards.find((c) => {
        const have = c.devicePath === undefined ? undefined : pciPathOfSysfs(c.devicePath);
        return have !== undefined && samePciPath(have, want);
      });
      const connector = card?.connectors[d.deviceDisplayId];
      if (connector) next.set(d.channelId + d.monitorId, connector.name);
    }
    this.connectors = next;
    this.last = devices;
    this.emit('change');
    return [...next.keys()];
  }

  /** The DRM connector showing a display id, when the device info maps it. */
  connectorFor(displayId: number): string | undefined {
    return this.connectors.get(displayId);
  }

  /**
   * Gives each display id one output position: mapped ids first, then the others in order, each to
   * the output of its own index if free, else to the first free one; ids left over get none.
   */
  assign(displayIds: readonly number[], outputs: readonly (string | undefined)[]): Map<number, number> {
    const taken = new Set<number>();
    const out = new Map<number, number>();
    for (const id of displayIds) {
      const at = this.mappedOutput(id, outputs);
      if (at === undefined || taken.has(at)) continue;
      out.set(id, at);
      taken.add(at);
    }
    for (const id of [...displayIds].sort((a, b) => a - b)) {
      if (out.has(id)) continue;
      const at = id < outputs.length && !taken.has(id) ? id : outputs.findIndex((_, i) => !taken.has(i));
      if (at < 0) continue;
      out.set(id, at);
      taken.add(at);
    }
    return out;
  }

  /** The position in `outputs` of the output the device map gives a display id, if any. */
  mappedOutput(displayId: number, outputs: readonly (string | undefined)[]): number | undefined {
    const connector = this.connectors.get(displayId);
    if (!connector) return undefined;
    const names = outputNames(connector);
    const at = outputs.findIndex((o) => o !== undefined && names.includes(o));
    return at < 0 ? undefined : at;
  }
}
