import { EventEmitter } from 'node:events';
import type { ActionModule } from '../actions/module.js';
import type { ModuleDefinition } from '../actions/registry.js';
import { plainGate, type SessionState } from '../actions/session-gate.js';
import type { DesktopState } from '../desktop/state.js';
import type { Logger } from '../log/logger.js';
import { CapabilitySet, type Message, messageName } from '../protocol/index.js';
import { BlockPool, TRANSFER_BLOCK } from '../protocol/block-pool.js';
import { ClientChanges } from './client-changes.js';
import { Backoff } from '../transport/backoff.js';
import { SessionHelper, STABLE_MS, type HelperCommand } from './helper.js';
import { TRANSFER_BLOCKS_KEPT } from './in-flight.js';
import { type Delivery, SessionModuleProxy, type ProxyHost } from './proxy.js';
import type { Desktop, SessionSource } from './source.js';

/** What a session bridge needs. */
export interface SessionBridgeOptions {
  /** Where desktops come from (logind, or the invoking user). */
  source: SessionSource;
  /** How to start `vdagent session`. */
  command: HelperCommand;
  log: Logger;
  /** The daemon's desktop state: its display map goes to the helper, the helper's layout comes back to it. */
  desktop: DesktopState;
}

/** Events of a session bridge. */
export interface SessionBridgeEvents {
  /** The session modules' capability bits changed: announce again (request=0). */
  capabilities: [];
  /** The helper is behind (true: stop reading the port) or caught up, or gone (false). */
  behind: [behind: boolean];
}

/**
 * The daemon's side of the session modules: follows the desktop session, runs one helper for it
 * (a new one when the session changes, none without a graphical session), routes each module's
 * messages both ways through its proxy, and tells the client what it must know when a helper goes
 * (transfers cancelled, clipboard grabs released).
 */
export class SessionBridge extends EventEmitter<SessionBridgeEvents> implements ProxyHost {
  private readonly proxies = new Map<string, SessionModuleProxy>();
  private desktop: Desktop | undefined;
  private helper: SessionHelper | undefined;
  private served = new Set<string>();
  /** The bits each module in the current helper said it can serve now (ModuleContext.offer). */
  private readonly offers = new Map<string, ReadonlySet<number>>();
  private sentCaps: CapabilitySet | undefined;
  private capsKey = '';
  /** The helpers being ended, and when each has. */
  private readonly stopping = new Map<SessionHelper, Promise<void>>();
  /** A helper is to start once the ones being stopped have ended and its start is due (see startWhenEnded). */
  private waiting = false;
  private startTimer: NodeJS.Timeout | undefined;
  /** The spacing of helper starts that follow each other within {@link STABLE_MS}, whatever their desktop. */
  private readonly starts = new Backoff({ initialMs: 100, maxMs: 10_000 });
  private lastStart = -Infinity;
  /** When the next helper may start. */
  private nextStart = -Infinity;
  /** Until the current helper says which modules it serves (or is gone): resolves then. */
  private coming: { promise: Promise<void>; done(): void } | undefined;
  /** What the current helper did wrong, each logged once per helper run (a hostile one cannot flood the log). */
  private readonly reported = new Set<'refused' | 'unencodable'>();
  /** The client changes the current helper's modules have not confirmed: what they send meanwhile is dropped. */
  private readonly changes = new ClientChanges();
  /**
   * Blocks file data is collected in, reused once sent to the helper; what the helper sends larger
   * than a block (a clipboard answer) is read into a buffer freed once written to the port, or
   * once dropped unwritten.
   */
  readonly blocks = new BlockPool(TRANSFER_BLOCK, TRANSFER_BLOCKS_KEPT, { freeOversize: true });

  constructor(private readonly options: SessionBridgeOptions) {
    super();
    // The helper maps display ids to outputs with the server's device list, which arrives here.
    const { displays } = options.desktop;
    displays.on('change', () => this.helper?.send({ kind: 'displays', devices: [...displays.devices] }));
  }

  /** The daemon-side stand-in for a session module; the daemon starts and stops it like any module. */
  proxy(definition: ModuleDefinition, module: ActionModule): ActionModule {
    return new SessionModuleProxy(module, definition.gate?.(module) ?? plainGate(module.capabilities), this);
  }

  /** Starts following desktop sessions. */
  async start(): Promise<void> {
    await this.options.source.start((d) => this.onDesktop(d));
  }

  /** Stops following and ends the helper, and any still ending, with the daemon's short grace. */
  async stop(): Promise<void> {
    await this.options.source.stop();
    this.desktop = undefined;
    clearTimeout(this.startTimer);
    this.endHelper();
    // The daemon's stop is promised within 2 s: no helper gets a session change's longer grace.
    for (const helper of this.stopping.keys()) helper.hurry();
    await Promise.all(this.stopping.values());
  }

  /**
   * While a helper has started and not yet said which modules it serves: a promise that resolves
   * when it has (its modules' bits are then announced) or when it is gone. Undefined otherwise.
   */
  starting(): Promise<void> | undefined {
    return this.coming?.promise;
  }

  state(name: string): SessionState {
    if (!this.desktop || !this.served.has(name)) return 'absent';
    if (this.desktop.greeter) return 'greeter';
    return this.desktop.locked ? 'locked' : 'active';
  }

  attach(proxy: SessionModuleProxy): void {
    this.proxies.set(proxy.name, proxy);
    this.capsKey = this.capsNow();
    this.configure();
  }

  detach(proxy: SessionModuleProxy): void {
    if (this.proxies.get(proxy.name) === proxy) this.proxies.delete(proxy.name);
    this.served.delete(proxy.name);
    this.offers.delete(proxy.name);
    this.capsKey = this.capsNow();
    this.configure();
  }

  forward(proxy: SessionModuleProxy, message: Message): void {
    if (!this.helper || this.state(proxy.name) === 'absent') return;
    this.syncClientCaps(proxy);
    this.helper.send({ kind: 'message', module: proxy.name, message });
  }

  reset(proxy: SessionModuleProxy): void {
    if (!this.helper) return;
    // The new client's capabilities are not known yet: none, until it announces (spec §6.6).
    this.syncClientCaps(proxy);
    if (this.helper.send({ kind: 'reset', module: proxy.name })) this.changes.sent(proxy.name);
  }

  announced(proxy: SessionModuleProxy): void {
    if (this.helper) this.syncClientCaps(proxy);
  }

  offered(name: string): ReadonlySet<number> | undefined {
    return this.offers.get(name);
  }

  /** We announced our capabilities: the helper's module hears it in order with the client's messages. */
  agentAnnounced(proxy: SessionModuleProxy): void {
    this.helper?.send({ kind: 'agent-announced', module: proxy.name });
  }

  private onDesktop(desktop: Desktop | undefined): void {
    if (desktop && desktop.id === this.desktop?.id) {
      // The same session locked, unlocked or changed class: the helper stays.
      this.desktop = desktop;
      this.changed();
      return;
    }
    this.endHelper();
    this.desktop = desktop;
    if (desktop) {
      this.expectModules();
      this.startWhenEnded();
    }
    this.changed();
  }

  /**
   * Starts a helper for the desktop of the moment once every helper being stopped has ended: a
   * session that flips between graphical and not (the user's own SetType) otherwise starts a helper
   * per flip, and each helper the user stops (SIGSTOP) stays until its kill, 3 s on, all in the
   * service's memory and task limits. So at most one helper ends while none or one serves. Starts
   * that follow each other within {@link STABLE_MS} are spaced by a back-off (100 ms doubling to
   * 10 s): each is a Node process that root starts, and flips are free for the user.
   */
  private startWhenEnded(): void {
    if (this.waiting) return;
    const resume = (): void => {
      this.waiting = false;
      this.startWhenEnded();
    };
    if (this.stopping.size > 0) {
      this.waiting = true;
      void Promise.all(this.stopping.values()).then(resume);
      return;
    }
    if (!this.desktop || this.helper) return;
    const wait = this.nextStart - Date.now();
    if (wait > 0) {
      this.waiting = true;
      this.startTimer = setTimeout(resume, wait);
      return;
    }
    this.startHelper(this.desktop);
  }

  private startHelper(desktop: Desktop): void {
    const now = Date.now();
    if (now - this.lastStart >= STABLE_MS) this.starts.reset();
    this.lastStart = now;
    this.nextStart = now + this.starts.next();
    const helper = new SessionHelper(desktop, this.options.command, this.options.log, this.blocks);
    this.helper = helper;
    helper.on('hello', () => {
      this.sentCaps = undefined;
      this.configure();
      const any = this.proxies.values().next().value;
      if (any) this.syncClientCaps(any);
      helper.send({ kind: 'displays', devices: [...this.options.desktop.displays.devices] });
    });
    helper.on('layout', (monitors) => this.options.desktop.layout.set(monitors));
    helper.on('running', (modules) => {
      this.served = new Set(modules.filter((m) => this.proxies.has(m)));
      this.options.log.info(`session ${desktop.id}: helper serves ${[...this.served].join(', ') || 'no module'}`);
      this.changed();
      this.settle();
    });
    helper.on('message', (module, message) => this.fromHelper(module, message));
    helper.on('closed', (module, id) => this.proxies.get(module)?.closed(id));
    helper.on('reset', (module) => this.changes.confirmed(module));
    helper.on('offer', (module, capabilities) => {
      if (!this.proxies.has(module)) return;
      this.offers.set(module, new Set(capabilities));
      this.changed();
    });
    helper.on('behind', (behind) => this.emit('behind', behind));
    helper.on('exit', () => {
      this.reported.clear();
      this.changes.clear();
      this.loseAll();
      this.changed();
      // The helper restarts after a delay: nothing is coming until then.
      this.settle();
    });
    helper.start();
  }

  /** Stops the current helper (in the background); the client hears what it lost at once. */
  private endHelper(): void {
    // Also when none was started yet: nothing is coming for a desktop that is gone.
    this.settle();
    const helper = this.helper;
    if (!helper) return;
    this.helper = undefined;
    helper.removeAllListeners();
    this.emit('behind', false);
    this.reported.clear();
    this.changes.clear();
    this.loseAll();
    this.stopping.set(helper, helper.stop().finally(() => this.stopping.delete(helper)));
  }

  /** A helper starts: its modules are coming. */
  private expectModules(): void {
    this.settle();
    let done = (): void => {};
    const promise = new Promise<void>((resolve) => (done = resolve));
    this.coming = { promise, done };
  }

  /** The helper said which modules it serves, or is gone: nothing more is coming from it. */
  private settle(): void {
    this.coming?.done();
    this.coming = undefined;
  }

  private loseAll(): void {
    this.served.clear();
    this.offers.clear();
    this.options.desktop.layout.set(undefined);
    for (const p of this.proxies.values()) p.lost();
  }

  /**
   * A module's message from the helper: what the output queue did not take is given back at once
   * (a clipboard answer read into an oversize block is freed, not left to a collection).
   */
  private fromHelper(module: string, message: Message): void {
    if (this.deliver(module, message) !== 'queued') this.blocks.giveMessage(message);
  }

  /** Passes a module's message from the helper on through its proxy. */
  private deliver(module: string, message: Message): Delivery {
    const proxy = this.proxies.get(module);
    if (proxy && !this.changes.current(module)) {
      // Sent before the module took the daemon's reset: made for a client that is gone, whenever it arrives.
      this.options.log.debug(`session helper: ${module}'s ${messageName(message.type)} dropped: made for a client that is gone`);
      return 'dropped';
    }
    try {
      const delivery = proxy && this.served.has(module) ? proxy.fromHelper(message) : 'refused';
      if (delivery === 'refused') this.reportOnce('refused', `session helper: ${module} may not send ${messageName(message.type)}; dropped (further refusals are not logged)`);
      return delivery;
    } catch (err) {
      this.reportOnce('unencodable', `session helper: ${module}'s ${messageName(message.type)} cannot be encoded (${String(err)}); dropped (further ones are not logged)`);
      return 'dropped';
    }
  }

  private reportOnce(what: 'refused' | 'unencodable', text: string): void {
    if (this.reported.has(what)) return;
    this.reported.add(what);
    this.options.log.warn(text);
  }

  /** Tells the helper the client's capabilities when they changed since it last heard them. */
  private syncClientCaps(proxy: SessionModuleProxy): void {
    const caps = proxy.clientCaps();
    if (this.sentCaps?.equals(caps)) return;
    this.sentCaps = caps;
    this.helper?.send({ kind: 'client-caps', words: caps.toWords() });
  }

  /** Tells the helper which modules to run. */
  private configure(): void {
    this.helper?.send({ kind: 'modules', modules: [...this.proxies.values()].map((p) => ({ name: p.name, settings: p.settings })) });
  }

  /** Asks for a new announcement when the session modules' bits changed. */
  private changed(): void {
    const key = this.capsNow();
    if (key === this.capsKey) return;
    this.capsKey = key;
    this.emit('capabilities');
  }

  private capsNow(): string {
    return CapabilitySet.of(...[...this.proxies.values()].flatMap((p) => p.capabilities)).toString();
  }
}
