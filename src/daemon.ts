import type { ActionSet } from './actions/actions-d.js';
import type { ActionModule, ModuleContext, ModuleOptions } from './actions/module.js';
import { enabledModules, type EnabledModule } from './actions/resolve.js';
import { AgentConnection } from './agent/connection.js';
import type { Logger } from './log/logger.js';
import type { SessionBridge } from './session/bridge.js';
import type { Port } from './transport/port.js';
import { PortFlow } from './transport/flow.js';
import { PortSupervisor } from './transport/supervisor.js';

/** What a daemon needs: its port, its logger and the effective actions.d entries. */
export interface DaemonConfig {
  /** The SPICE agent port. */
  port: Port;
  /** The daemon's logger. */
  log: Logger;
  /** The effective actions.d entries. */
  actions: ActionSet;
  /** Command-line options that reach modules. */
  options?: ModuleOptions;
  /** Ceiling on a message's declared size. */
  maxMessageSize?: number;
  /** Serves session modules through a per-session helper; without it they stay off (`--session none`). */
  session?: SessionBridge;
}

/** A module that runs, with the settings it was started with. */
interface Running {
  module: ActionModule;
  settings: string;
}

/** The running agent daemon: a supervised port, one agent connection and its modules. */
export class Daemon {
  readonly connection: AgentConnection;
  readonly supervisor: PortSupervisor;
  /** Pauses the port while the helper or a module's sink is behind. */
  readonly flow: PortFlow;
  private readonly running = new Map<string, Running>();
  private portOpen = false;

  constructor(private readonly config: DaemonConfig) {
    const { port, log } = config;
    this.supervisor = new PortSupervisor(port, log);
    this.flow = new PortFlow(port);
    config.session?.on('behind', (behind) => this.flow.set('session helper', behind));
    this.connection = new AgentConnection((chunks) => port.writev(chunks), { log, maxMessageSize: config.maxMessageSize });
    this.supervisor.on('open', () => {
      this.portOpen = true;
      this.connection.opened();
    });
    this.supervisor.on('data', (chunk) => this.connection.receive(chunk));
    this.supervisor.on('down', () => {
      this.portOpen = false;
      this.connection.closed();
    });
    this.connection.on('resync', () => this.supervisor.resync());
    this.connection.on('healthy', () => this.supervisor.healthy());
    // A host that does not read our answers meets back-pressure before any answer is refused.
    this.connection.on('behind', (behind) => this.flow.set('output to the host', behind));
    config.session?.on('capabilities', () => this.announceModules());
  }

  /** Names of the modules that run. */
  get modules(): string[] {
    return [...this.running.keys()];
  }

  /** Starts the enabled modules, opens the port (which announces our capabilities), then follows sessions. */
  async start(): Promise<void> {
    await this.apply(this.config.actions);
    this.supervisor.start();
    await this.config.session?.start();
  }

  /**
   * Applies a new action set: stops modules no longer enabled (or whose settings changed), starts
   * new ones, and announces the new capabilities (request=0) when the port is open.
   */
  async reload(actions: ActionSet): Promise<void> {
    await this.apply(actions);
    this.config.log.info(`actions reloaded: ${this.modules.join(', ') || 'no modules'}`);
  }

  /** Closes the port and stops the modules. */
  async stop(): Promise<void> {
    await this.supervisor.stop();
    for (const { module } of this.running.values()) await module.stop().catch(() => undefined);
    this.running.clear();
    await this.config.session?.stop();
  }

  private async apply(actions: ActionSet): Promise<void> {
    const wanted = new Map(enabledModules(actions, this.config.log).map((e) => [e.definition.name, e]));
    for (const [name, r] of this.running) {
      const w = wanted.get(name);
      if (w && settingsKey(w) === r.settings) continue;
      await r.module.stop().catch((err: unknown) => this.config.log.error(`module ${name}: stop failed: ${String(err)}`));
      this.running.delete(name);
      this.flow.set(`module ${name}`, false);
      this.config.log.info(`module ${name} stopped`);
    }
    for (const [name, e] of wanted) {
      if (this.running.has(name)) continue;
      const created = e.definition.create();
      // A session module runs in the helper; the daemon runs its proxy.
      const module = created.host === 'daemon' ? created : this.config.session?.proxy(e.definition, created);
      if (!module) continue;
      const ctx: ModuleContext = {
        send: (m) => this.connection.send(m),
        clientCaps: () => this.connection.context.peerCaps,
        log: this.config.log,
        settings: e.settings,
        options: this.config.options ?? {},
        behind: (behind) => this.flow.set(`module ${name}`, behind),
      };
      try {
        await module.start(ctx);
        this.running.set(name, { module, settings: settingsKey(e) });
        this.config.log.info(`module ${name} started`);
      } catch (err) {
        this.config.log.error(`module ${name} failed to start and stays off: ${String(err)}`);
      }
    }
    this.announceModules();
  }

  /** Hands the connection the running modules; announces their capabilities when the port is open. */
  private announceModules(): void {
    this.connection.setModules(
      [...this.running.values()].map((r) => r.module),
      this.portOpen,
    );
  }
}

/** A comparable form of a module's settings. */
function settingsKey(e: EnabledModule): string {
  return JSON.stringify([...e.settings].sort());
}
