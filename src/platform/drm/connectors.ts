import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/** One DRM connector as sysfs shows it under /sys/class/drm/cardN-NAME. */
export interface DrmConnector {
  /** The card it belongs to: `card0`. */
  card: string;
  /** The connector name without the card: `Virtual-1`, `HDMI-A-1`. */
  name: string;
  /** `connected`, `disconnected` or `unknown`. */
  status: string;
  /** Whether a CRTC drives it (the `enabled` attribute; true when the kernel lacks it). */
  enabled: boolean;
  /** Its modes, preferred first, as the `modes` attribute lists them. */
  modes: { width: number; height: number }[];
  /** The kernel's connector id, when sysfs has `connector_id`. */
  connectorId?: number;
}

/** One DRM card with its connectors, in the kernel's connector order. */
export interface DrmCard {
  /** `card0`. */
  name: string;
  /** The sysfs path of the card's device (`device` link resolved): `/sys/devices/pci0000:00/0000:00:02.0`. */
  devicePath?: string;
  /** Its connectors, ordered by connector id (by name when the kernel has no `connector_id`). */
  connectors: DrmConnector[];
}

/** The sysfs mount point. */
export const SYSFS = '/sys';

function readAttr(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function parseModes(text: string | undefined): { width: number; height: number }[] {
  const out: { width: number; height: number }[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+)x(\d+)/.exec(line.trim());
    if (m) out.push({ width: Number(m[1]), height: Number(m[2]) });
  }
  return out;
}

/** Compares connector names so that `Virtual-2` comes before `Virtual-10`. */
const byName = (a: DrmConnector, b: DrmConnector): number => a.name.localeCompare(b.name, 'en', { numeric: true });

/** The DRM cards and connectors under `<sysRoot>/class/drm`; none when there is no DRM. */
export function readDrmCards(sysRoot: string = SYSFS): DrmCard[] {
  const dir = join(sysRoot, 'class', 'drm');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const cards = new Map<string, DrmCard>();
  for (const name of names.filter((n) => /^card\d+$/.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    let devicePath: string | undefined;
    try {
      devicePath = realpathSync(join(dir, name, 'device'));
    } catch {
      devicePath = undefined;
    }
    cards.set(name, { name, devicePath, connectors: [] });
  }
  for (const entry of names) {
    const m = /^(card\d+)-(.+)$/.exec(entry);
    const card = m && cards.get(m[1] as string);
    if (!card || !m) continue;
    const at = join(dir, entry);
    const id = readAttr(at, 'connector_id');
    card.connectors.push({
      card: card.name,
      name: m[2] as string,
      status: readAttr(at, 'status') ?? 'unknown',
      enabled: (readAttr(at, 'enabled') ?? 'enabled') === 'enabled',
      modes: parseModes(readAttr(at, 'modes')),
      connectorId: id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined,
    });
  }
  for (const card of cards.values()) {
    const ids = card.connectors.every((c) => c.connectorId !== undefined);
    card.connectors.sort(ids ? (a, b) => (a.connectorId as number) - (b.connectorId as number) : byName);
  }
  return [...cards.values()];
}
