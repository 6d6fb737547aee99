import { Capability, MessageType, type Message, type MouseStateMessage } from '../../protocol/index.js';
import type { ActionModule, ModuleContext, ModuleOptions } from '../module.js';
import { DisplayMap } from '../../desktop/display-map.js';
import { readDrmCards, SYSFS } from '../../platform/drm/connectors.js';
import { desktopBounds, type Monitor, type Rect } from '../../platform/display/monitor.js';
import { FakePointerDevice } from '../../platform/uinput/fake-device.js';
import type { InputEvent } from '../../platform/uinput/input-event.js';
import type { PointerDevice } from '../../platform/uinput/pointer-device.js';
import { UinputDevice } from '../../platform/uinput/uinput-device.js';
import { drmLayout } from './drm-layout.js';
import { parseLayoutSetting } from './layout-setting.js';
import { LayoutStore } from '../../desktop/layout-store.js';
import { pointerEvents, releaseEvents, type PointerState } from './pointer-events.js';

/** The desktop assumed when neither the session, the `layout` setting nor DRM tells one. */
export const FALLBACK_LAYOUT: readonly Monitor[] = [{ x: 0, y: 0, width: 1024, height: 768 }];

/** What a mouse module is built with; the defaults are the daemon's. */
export interface MouseModuleOptions {
  /** Where the session's layout arrives (default: a store of its own, which no session reports to). */
  layout?: LayoutStore;
  /** Display ids to outputs (default: a map of its own). */
  displays?: DisplayMap;
  /** The sysfs root for the DRM layout (default /sys). */
  sysRoot?: string;
  /** Makes the pointer device (default: the fake of `--fake-uinput`, else a uinput tablet). */
  device?: (options: ModuleOptions) => PointerDevice;
}

/** The real tablet, or the fake when `--fake-uinput PATH` is given. */
function defaultDevice(options: ModuleOptions): PointerDevice {
  return options.fakeUinput ? new FakePointerDevice(options.fakeUinput) : new UinputDevice();
}

/**
 * MOUSE_STATE → an absolute uinput tablet (spec §8). The tablet spans the desktop's bounding box
 * and is re-created when its size changes; `display_id` selects the monitor whose offset is added
 * (through the graphics device map, else by index); states for unknown displays are ignored.
 * Starting rejects when the tablet cannot be created, which keeps the module (and its capability)
 * off: the daemon starts modules before it opens the port, so the SPICE server only sees the agent
 * once pointer events can be injected.
 */
export class MouseModule implements ActionModule {
  readonly name = 'mouse';
  readonly capabilities = [Capability.MouseState];
  readonly handles = [MessageType.MouseState];
  readonly host = 'daemon';
  private readonly layout: LayoutStore;
  private readonly displays: DisplayMap;
  private readonly sysRoot: string;
  private readonly makeDevice: (options: ModuleOptions) => PointerDevice;
  private ctx: ModuleContext | undefined;
  private device: PointerDevice | undefined;
  private fixed: Monitor[] | undefined;
  private monitors: readonly Monitor[] = FALLBACK_LAYOUT;
  /** The monitors' output names, kept beside them for the per-message lookup. */
  private outputs: readonly (string | undefined)[] = [];
  private bounds: Rect = desktopBounds(FALLBACK_LAYOUT);
  private prev: PointerState | undefined;
  private ready = false;
  private relayouts = Promise.resolve();
  private readonly reported = new Set<string>();
  private readonly onLayout = (): void => this.relayout();

  constructor(options: MouseModuleOptions = {}) {
    this.layout = options.layout ?? new LayoutStore();
    this.displays = options.displays ?? new DisplayMap(options.sysRoot);
    this.sysRoot = options.sysRoot ?? SYSFS;
    this.makeDevice = options.device ?? defaultDevice;
  }

  async start(ctx: ModuleContext): Promise<void> {
    const setting = ctx.settings.get('layout');
    this.fixed = setting === undefined ? undefined : parseLayoutSetting(setting);
    this.follow(this.currentLayout());
    const device = this.makeDevice(ctx.options);
    // A sink that falls behind (a FIFO nobody reads) stops the port being read, not memory growing.
    device.onBehind = (behind) => ctx.behind?.(behind);
    await device.open(this.bounds);
    this.ctx = ctx;
    this.device = device;
    this.ready = true;
    this.layout.on('change', this.onLayout);
    ctx.log.info(`mouse: ${ctx.options.fakeUinput ? `fake tablet writing to ${ctx.options.fakeUinput}` : 'uinput tablet'} for ${this.describe()}`);
  }

  async stop(): Promise<void> {
    this.layout.off('change', this.onLayout);
    await this.relayouts;
    const device = this.device;
    this.device = undefined;
    if (!device) return;
    if (this.ready) this.inject(device, releaseEvents(this.prev));
    this.ready = false;
    await device.close();
  }

  handle(message: Message): void {
    if (message.type !== MessageType.MouseState || !this.ready || !this.device) return;
    const next = this.toDesktop(message);
    if (!next) return;
    const events = pointerEvents(this.prev, next);
    this.prev = next;
    if (events.length > 0) this.inject(this.device, events);
  }

  resetClient(): void {
    if (this.ready && this.device) this.inject(this.device, releaseEvents(this.prev));
    this.prev = undefined;
    // Without a session the DRM connectors may have changed size (the host resized the display).
    if (this.device && this.layout.current === undefined && this.fixed === undefined) this.relayout();
  }

  /**
   * The monitor showing a display id: the one on the output the device map names, else the one
   * reported for that display id, else (when monitors carry no display ids) the one at that index.
   */
  private monitorOf(displayId: number): Monitor | undefined {
    const at = this.displays.mappedOutput(displayId, this.outputs);
    if (at !== undefined) return this.monitors[at];
    if (this.monitors.some((m) => m.displayId !== undefined)) return this.monitors.find((m) => m.displayId === displayId);
    return this.monitors[displayId];
  }

  /** The state in desktop coordinates, clamped to its monitor; undefined for an unknown display. */
  private toDesktop(m: MouseStateMessage): PointerState | undefined {
    const mon = this.monitorOf(m.displayId);
    if (!mon) {
      this.reportOnce(`display ${m.displayId}`, `mouse: MOUSE_STATE for unknown display ${m.displayId} ignored`);
      return undefined;
    }
    return {
      x: mon.x - this.bounds.x + Math.min(m.x, mon.width - 1),
      y: mon.y - this.bounds.y + Math.min(m.y, mon.height - 1),
      buttons: m.buttons,
    };
  }

  private inject(device: PointerDevice, events: readonly InputEvent[]): void {
    if (events.length === 0) return;
    try {
      device.emit(events);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      this.reportOnce(`emit ${code}`, `mouse: injecting events failed: ${String(err)}`);
    }
  }

  /** The session's layout, else the `layout` setting, else the DRM connectors, else 1024×768. */
  private currentLayout(): readonly Monitor[] {
    const session = this.layout.current;
    if (session && session.length > 0) return session;
    if (this.fixed) return this.fixed;
    const drm = drmLayout(readDrmCards(this.sysRoot));
    return drm.length > 0 ? drm : FALLBACK_LAYOUT;
  }

  /** Follows a new layout at once; re-creates the tablet when the desktop's size changed (events are dropped meanwhile). */
  private relayout(): void {
    const before = this.bounds;
    this.follow(this.currentLayout());
    const resize = this.bounds.width !== before.width || this.bounds.height !== before.height;
    if (!this.device || (!resize && this.ready)) return;
    this.ready = false;
    this.relayouts = this.relayouts.then(async () => {
      const device = this.device;
      if (!device) return;
      try {
        await device.resize(this.bounds);
        this.prev = undefined;
        this.ready = true;
        this.ctx?.log.info(`mouse: tablet re-created for ${this.describe()}`);
      } catch (err) {
        this.ctx?.log.error(`mouse: re-creating the tablet failed, pointer events are dropped until the next layout: ${String(err)}`);
      }
    });
  }

  private follow(monitors: readonly Monitor[]): void {
    this.monitors = monitors;
    this.outputs = monitors.map((m) => m.output);
    this.bounds = desktopBounds(monitors);
  }

  private describe(): string {
    const list = this.monitors.map((m) => `${m.width}x${m.height}+${m.x}+${m.y}${m.output ? ` ${m.output}` : ''}`).join(', ');
    return `a ${this.bounds.width}x${this.bounds.height} desktop (${list})`;
  }

  private reportOnce(key: string, text: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.ctx?.log.warn(text);
  }
}
