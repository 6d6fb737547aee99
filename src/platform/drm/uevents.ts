/** One device event as `udevadm monitor --property` prints it: the header's action and path, then KEY=VALUE lines. */
export interface Uevent {
  /** `add`, `change`, `remove`, … */
  action: string;
  /** The device's path under /sys, as in the header: `/devices/pci0000:00/0000:00:01.0/drm/card0`. */
  devpath: string;
  /** The properties, at most MAX_PROPERTIES of them. */
  properties: ReadonlyMap<string, string>;
}

/** Longest line kept; a longer one (no udev property is near it) is dropped whole. */
export const MAX_LINE = 4096;
/** Properties kept per event (a drm event has about a dozen). */
export const MAX_PROPERTIES = 64;

const HEADER = /^(?:UDEV|KERNEL)\s+\[[\d.]+\]\s+(\S+)\s+(\S+)\s+\((\S+)\)\s*$/;
const PROPERTY = /^([A-Za-z0-9_]+)=(.*)$/;

/**
 * Reads `udevadm monitor --property` output as it arrives, in pieces of any size: a header line
 * (`UDEV  [12.345] change   /devices/…/drm/card0 (drm)`) starts an event, KEY=VALUE lines fill it,
 * an empty line ends it. Memory is bounded: a line longer than MAX_LINE is dropped up to its end,
 * and an event keeps at most MAX_PROPERTIES properties. Anything else (udevadm's banner) is skipped.
 */
export class UeventReader {
  private line = '';
  private overlong = false;
  private current: { action: string; devpath: string; properties: Map<string, string> } | undefined;

  constructor(private readonly onEvent: (event: Uevent) => void) {}

  /** Feeds a piece of output. */
  push(text: string): void {
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      const piece = text.slice(start, end === -1 ? undefined : end);
      if (!this.overlong) {
        this.line += piece;
        if (this.line.length > MAX_LINE) {
          this.line = '';
          this.overlong = true;
        }
      }
      if (end === -1) return;
      if (!this.overlong) this.take(this.line);
      this.line = '';
      this.overlong = false;
      start = end + 1;
    }
  }

  /** Ends the output: an event not yet closed by an empty line is delivered. */
  end(): void {
    if (!this.overlong && this.line) this.take(this.line);
    this.line = '';
    this.overlong = false;
    this.take('');
  }

  private take(line: string): void {
    if (line.trim() === '') {
      const done = this.current;
      this.current = undefined;
      if (done) this.onEvent(done);
      return;
    }
    const header = HEADER.exec(line);
    if (header) {
      if (this.current) this.onEvent(this.current);
      this.current = { action: header[1] as string, devpath: header[2] as string, properties: new Map() };
      return;
    }
    const property = PROPERTY.exec(line);
    if (property && this.current && this.current.properties.size < MAX_PROPERTIES) this.current.properties.set(property[1] as string, property[2] as string);
  }
}

/** The card (`card0`) whose connectors may have changed, for a uevent that says so: a hotplug change, or a card added or removed. */
export function hotplugCard(event: Uevent): string | undefined {
  const p = event.properties;
  if ((p.get('SUBSYSTEM') ?? 'drm') !== 'drm') return undefined;
  const card = /\/(card\d+)$/.exec(event.devpath)?.[1];
  if (!card) return undefined;
  if (event.action === 'change') return p.get('HOTPLUG') === '1' ? card : undefined;
  return event.action === 'add' || event.action === 'remove' ? card : undefined;
}
