import { Capability, MessageType, ReplyError, type Message, type MonitorsConfigMessage } from '../../protocol/index.js';
import type { ActionModule, ModuleContext } from '../module.js';
import { DisplayMap } from '../../desktop/display-map.js';
import { backendKindFor, type BackendKind, type DisplayBackend, type DisplayEnv } from '../../platform/display/backend.js';
import type { Monitor } from '../../platform/display/monitor.js';
import { checkMonitorsConfig, planLayout } from './plan.js';
import { isOn } from '../on-off.js';

/**
 * The display backends (platform/display/create.ts), imported when a module starts with
 * auto-resize: the daemon, which only runs the module's proxy, never loads them.
 */
export const loadDisplayBackends = () => import('../../platform/display/create.js');

/** How long a burst of MONITORS_CONFIG must pause before the last one is applied. */
export const DEBOUNCE_MS = 200;

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
}

/**
 * MONITORS_CONFIG → the desktop's outputs (spec §9), in the session helper: both payload sizes,
 * sparse entries (an entry of width or height 0 switches its output off), positions with
 * USE_POS. A burst (spice-gtk re-sends on every window resize) is debounced: only the last one is
 * applied, once the burst pauses, and each message of it is answered with that result:
 * REPLY(MONITORS_CONFIG, SUCCESS or ERROR). Invalid configurations are answered ERROR at once.
 * With `auto-resize = off` the layout is left alone and every message is answered SUCCESS.
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

  constructor(options: ResolutionModuleOptions = {}) {
    this.displays = options.displays ?? new DisplayMap();
    this.env = options.env ?? process.env;
    this.debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.onLayout = options.onLayout;
  }

  async start(ctx: ModuleContext): Promise<void> {
    this.autoResize = isOn(ctx.settings.get('auto-resize'), true);
    const setting = ctx.settings.get('backend') ?? 'auto';
    const kind = setting === 'auto' ? backendKindFor(this.env) : (setting as BackendKind);
    if (this.autoResize && !kind) throw new Error('resolution: no X11 or Wayland session in the environment (set backend in the resolution entry)');
    this.backend = kind && this.autoResize ? (await loadDisplayBackends()).createBackend(kind, this.env) : undefined;
    this.ctx = ctx;
    ctx.log.info(this.backend ? `resolution: ${this.backend.kind} backend` : 'resolution: auto-resize is off, layouts are acknowledged and left alone');
  }

  async stop(): Promise<void> {
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
    this.waiting++;
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

  private flush(): void {
    this.timer = undefined;
    const message = this.latest;
    const count = this.waiting;
    const client = this.client;
    this.latest = undefined;
    this.waiting = 0;
    if (!message) return;
    this.applying = this.applying.then(async () => {
      const ok = await this.apply(message);
      if (client === this.client) this.answer(count, ok ? ReplyError.Success : ReplyError.Error);
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
      ctx.log.info(`resolution: ${plan.desktop.map((m) => `${m.output} ${m.width}x${m.height}+${m.x}+${m.y}`).join(', ')}`);
      this.onLayout?.(plan.desktop);
      return true;
    } catch (err) {
      ctx.log.error(`resolution: applying the layout failed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  private answer(count: number, error: ReplyError): void {
    for (let i = 0; i < count; i++) this.ctx?.send({ type: MessageType.Reply, replyTo: MessageType.MonitorsConfig, error });
  }
}
