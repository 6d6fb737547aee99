import { Capability, MessageType, ReplyError, type Message, type MonitorsConfigMessage } from '../../protocol/index.js';
import type { ActionModule, ModuleContext } from '../module.js';
import { DisplayMap } from '../../desktop/display-map.js';
import { backendKindFor, type BackendKind, type DisplayBackend, type DisplayEnv } from '../../platform/display/backend.js';
import type { Monitor } from '../../platform/display/monitor.js';
import { checkMonitorsConfig, planLayout } from './plan.js';
import { connectorSnapshot, planHotplug, type ConnectorSnapshot } from './hotplug-plan.js';
import { isOn } from '../on-off.js';
import { DrmHotplugWatcher, type HotplugWatcherOptions } from '../../platform/drm/hotplug-watcher.js';

/**
 * The display backends (platform/display/create.ts), imported when a module starts with
 * auto-resize: the daemon, which only runs the module's proxy, never loads them.
 */
export const loadDisplayBackends = () => import('../../platform/display/create.js');

/** How long a burst of MONITORS_CONFIG must pause before the last one is applied. */
export const DEBOUNCE_MS = 200;

/**
 * Most messages of a burst answered once it is applied; each one superseded past them is answered
 * SUCCESS at once, as spice-vdagentd answers every MONITORS_CONFIG on receipt. A host that never
 * pauses its burst would otherwise be owed one REPLY per message, all sent the moment it pauses,
 * past every bound of the channel and the output queue (200,000 came to +219 MB, answers dropped).
 */
export const MAX_WAITING_ANSWERS = 64;

/** How long a burst of DRM hotplug events must pause before the outputs are read back (the kernel sends several). */
export const HOTPLUG_SETTLE_MS = 500;

/** What a resolution module is built with; the defaults are the session helper's. */
export interface ResolutionModuleOptions {
  /** Display ids to outputs (default: a map of its own, which no device info reaches). */
  displays?: DisplayMap;
  /** The session's environment, which chooses the backend and reaches its tools (default: this process's). */
  env?: DisplayEnv;
  /** The debounce delay (default DEBOUNCE_MS). */
  debounceMs?: number;
  /** Told the new desktop after each applied layout (for the daemon's mouse tablet). */
  onLayout?: (desktop: Monitor[]) => void;
  /** How DRM hotplug events are followed (default: `udevadm monitor`); false: not followed. */
  hotplug?: HotplugWatcherOptions | false;
  /** The hotplug settle delay (default HOTPLUG_SETTLE_MS). */
  hotplugSettleMs?: number;
}

/**
 * MONITORS_CONFIG → the desktop's outputs (spec §9), in the session helper: both payload sizes,
 * sparse entries (an entry of width or height 0 switches its output off), positions with
 * USE_POS. A burst (spice-gtk re-sends on every window resize) is debounced: only the last one is
 * applied, once the burst pauses, and each message of it is answered with that result:
 * REPLY(MONITORS_CONFIG, SUCCESS or ERROR); past {@link MAX_WAITING_ANSWERS}, at once. Invalid configurations are answered ERROR at once.
 * With `auto-resize = off` the layout is left alone and every message is answered SUCCESS.
 *
 * The display device's path (spice-server hands the client's layout to a QXL or virtio-gpu device
 * whose guest driver takes it, not to the agent): DRM hotplug events (DrmHotplugWatcher) are
 * followed, except under GNOME, which applies them itself; once a burst settles the outputs are
 * read back (one follow-up at most waits, however many bursts settle while the desktop is slow) and planHotplug applies the connectors' preferred sizes when one changed, unless the
 * desktop already shows them or a MONITORS_CONFIG was applied within MONITORS_CONFIG_HOLD_MS.
 */
export class ResolutionModule implements ActionModule {
  readonly name = 'resolution';
  readonly capabilities = [Capability.MonitorsConfig, Capability.Reply, Capability.SparseMonitorsConfig];
  readonly handles = [MessageType.MonitorsConfig];
  readonly host = 'session';
  private readonly displays: DisplayMap;
  private readonly env: DisplayEnv;
  private readonly debounceMs: number;
  private readonly onLayout: ((desktop: Monitor[]) => void) | undefined;
  private ctx: ModuleContext | undefined;
  private backend: DisplayBackend | undefined;
  private autoResize = true;
  private timer: NodeJS.Timeout | undefined;
  private latest: MonitorsConfigMessage | undefined;
  private waiting = 0;
  private client = 0;
  private applying = Promise.resolve();
  /** A layout is being applied: the burst that ends meanwhile waits for it (see flush). */
  private busy = false;
  private readonly hotplugOptions: HotplugWatcherOptions | false;
  private readonly hotplugSettleMs: number;
  private watcher: DrmHotplugWatcher | undefined;
  private hotplugTimer: NodeJS.Timeout | undefined;
  /** A follow-up waits behind what is applied or read now: a burst that settles meanwhile is folded into it. */
  private hotplugWaiting = false;
  private connectors: ConnectorSnapshot = new Map();
  private monitorsConfigAt = -Infinity;

  constructor(options: ResolutionModuleOptions = {}) {
    this.displays = options.displays ?? new DisplayMap();
    this.env = options.env ?? process.env;
    this.debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.onLayout = options.onLayout;
    this.hotplugOptions = options.hotplug ?? {};
    this.hotplugSettleMs = options.hotplugSettleMs ?? HOTPLUG_SETTLE_MS;
  }

  async start(ctx: ModuleContext): Promise<void> {
    this.autoResize = isOn(ctx.settings.get('auto-resize'), true);
    const setting = ctx.settings.get('backend') ?? 'auto';
    const kind = setting === 'auto' ? backendKindFor(this.env) : (setting as BackendKind);
    if (this.autoResize && !kind) throw new Error('resolution: no X11 or Wayland session in the environment (set backend in the resolution entry)');
    this.backend = kind && this.autoResize ? (await loadDisplayBackends()).createBackend(kind, this.env) : undefined;
    this.ctx = ctx;
    ctx.log.info(this.backend ? `resolution: ${this.backend.kind} backend` : 'resolution: auto-resize is off, layouts are acknowledged and left alone');
    if (this.backend && this.backend.kind !== 'gnome' && this.hotplugOptions) {
      this.applying = this.applying.then(() => this.readConnectors());
      this.watcher = new DrmHotplugWatcher(() => this.hotplugged(), ctx.log, this.hotplugOptions);
      this.watcher.start();
    }
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.hotplugTimer);
    this.hotplugTimer = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.answer(this.waiting, ReplyError.Error);
    this.waiting = 0;
    this.latest = undefined;
    await this.applying;
    await this.backend?.close();
    this.backend = undefined;
    this.ctx = undefined;
  }

  handle(message: Message): void {
    if (message.type !== MessageType.MonitorsConfig || !this.ctx) return;
    const problem = checkMonitorsConfig(message);
    if (problem) {
      this.ctx.log.warn(`resolution: MONITORS_CONFIG refused (${problem})`);
      this.answer(1, ReplyError.Error);
      return;
    }
    if (!this.backend) {
      this.answer(1, ReplyError.Success);
      return;
    }
    this.latest = message;
    if (this.waiting < MAX_WAITING_ANSWERS) this.waiting++;
    else this.answer(1, ReplyError.Success);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  resetClient(): void {
    // Configurations of a client that left are not applied, and nobody is left to answer.
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    this.waiting = 0;
    this.client++;
  }

  /**
   * Applies the burst's last layout. While another is being applied, the burst waits for it and
   * goes on gathering (its last one wins): a host sending layouts faster than the desktop applies
   * them has one waiting, not one queued per burst.
   */
  private flush(): void {
    this.timer = undefined;
    if (this.busy) return;
    const message = this.latest;
    const count = this.waiting;
    const client = this.client;
    this.latest = undefined;
    this.waiting = 0;
    if (!message) return;
    this.busy = true;
    this.applying = this.applying.then(async () => {
      const ok = await this.apply(message);
      if (client === this.client) this.answer(count, ok ? ReplyError.Success : ReplyError.Error);
      this.busy = false;
      // A burst that ended meanwhile (its layout kept, its timer gone) is applied now.
      if (this.latest && !this.timer) this.flush();
    });
  }

  private async apply(message: MonitorsConfigMessage): Promise<boolean> {
    const { backend, ctx } = this;
    if (!backend || !ctx) return false;
    try {
      const plan = planLayout(message, await backend.outputs(), this.displays);
      if (typeof plan === 'string') {
        ctx.log.warn(`resolution: MONITORS_CONFIG not applied (${plan})`);
        return false;
      }
      if (plan.ignored.length > 0) ctx.log.warn(`resolution: no output left for monitor(s) ${plan.ignored.join(', ')}; ignored`);
      await backend.apply(plan.requests);
      this.monitorsConfigAt = performance.now();
      ctx.log.info(`resolution: ${describe(plan.desktop)}`);
      this.onLayout?.(plan.desktop);
      return true;
    } catch (err) {
      ctx.log.error(`resolution: applying the layout failed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  private hotplugged(): void {
    clearTimeout(this.hotplugTimer);
    this.hotplugTimer = setTimeout(() => {
      this.hotplugTimer = undefined;
      if (this.hotplugWaiting) return;
      this.hotplugWaiting = true;
      this.applying = this.applying.then(() => {
        this.hotplugWaiting = false;
        return this.followHotplug();
      });
    }, this.hotplugSettleMs);
  }

  /** Reads the outputs back after a hotplug and applies their preferred sizes when planHotplug says so. */
  private async followHotplug(): Promise<void> {
    const { backend, ctx } = this;
    if (!backend || !ctx) return;
    try {
      const outputs = await backend.outputs();
      const plan = planHotplug(outputs, this.connectors, performance.now() - this.monitorsConfigAt);
      this.connectors = connectorSnapshot(outputs);
      if (plan.action === 'none') {
        ctx.log.info(`resolution: DRM hotplug, nothing to apply (${plan.why})`);
        return;
      }
      await backend.apply(plan.requests);
      ctx.log.info(`resolution: DRM hotplug, preferred modes applied: ${describe(plan.desktop)}`);
      this.onLayout?.(plan.desktop);
    } catch (err) {
      ctx.log.error(`resolution: following a DRM hotplug failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Remembers each output's connection and preferred size, which the next hotplug is compared against. */
  private async readConnectors(): Promise<void> {
    try {
      if (this.backend) this.connectors = connectorSnapshot(await this.backend.outputs());
    } catch {
      // Unknown until the next read: a hotplug then counts as a change.
      this.connectors = new Map();
    }
  }

  private answer(count: number, error: ReplyError): void {
    for (let i = 0; i < count; i++) this.ctx?.send({ type: MessageType.Reply, replyTo: MessageType.MonitorsConfig, error });
  }
}

/** A layout for the log: `Virtual-1 1280x800+0+0, …`. */
const describe = (desktop: readonly Monitor[]): string => desktop.map((m) => `${m.output} ${m.width}x${m.height}+${m.x}+${m.y}`).join(', ');
