import type { ActionSet } from '../actions/actions-d.js';
import type { ModuleOptions } from '../actions/module.js';
import { ModuleHost, type WantedModule } from '../actions/module-host.js';
import { enabledModules, type EnabledModule } from '../actions/resolve.js';
import { AgentConnection } from '../agent/connection.js';
import type { DesktopState } from '../desktop/state.js';
import type { Logger } from '../log/logger.js';
import type { SessionBridge } from '../session/bridge.js';
import type { Port } from '../transport/port.js';
import { PortFlow } from '../transport/flow.js';
import { PortSupervisor } from '../transport/supervisor.js';

/**
 * How long a client's request for our capabilities waits, at most, for a starting session helper
 * to say which modules it serves: the helper needs ~170 ms from its start on an idle 2-core guest.
 * The client then gets one complete answer instead of an incomplete one and a second a moment
 * later; a helper slower than this is announced when it is up, as before.
 */
const HELPER_WAIT_MS = 200;

/** What a daemon needs: its port, its logger, the effective actions.d entries and the desktop state its modules share. */
export interface DaemonConfig {
  /** The SPICE agent port. */
  port: Port;
  /** The daemon's logger. */
  log: Logger;
  /** The effective actions.d entries. */
  actions: ActionSet;
  /** The desktop state the modules (and the session bridge) share. */
  desktop: DesktopState;
  /** Command-line options that reach modules. */
  options?: ModuleOptions;
  /** Ceiling on a message's declared size. */
  maxMessageSize?: number;
  /** Serves session modules through a per-session helper; without it they stay off (`--session none`). */
  session?: SessionBridge;
}

/** The running agent daemon: a supervised port, one agent connection and its modules. */
export class Daemon {
  readonly connection: AgentConnection;
  readonly supervisor: PortSupervisor;
  /** Pauses the port while the helper or a module's sink is behind. */
  readonly flow: PortFlow;
  private readonly host: ModuleHost;
  private portOpen = false;
  /** Following desktop sessions, started after the port's first opening. */
  private following: Promise<void> | undefined;

  constructor(private readonly config: DaemonConfig) {
    const { port, log } = config;
    this.supervisor = new PortSupervisor(port, log);
    this.flow = new PortFlow(port, log);
    this.host = new ModuleHost({ log, stopped: (name) => this.flow.set(`module ${name}`, false) });
    config.session?.on('behind', (behind) => this.flow.set('session helper', behind));
    this.connection = new AgentConnection((chunks) => port.writev(chunks), {
      log,
      maxMessageSize: config.maxMessageSize,
      capabilitiesComing: () => within(config.session?.starting(), HELPER_WAIT_MS),
      transferBlocks: config.session?.blocks,
      lentInput: port.lendsReads === true,
    });
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
    return this.host.names;
  }

  /**
   * Starts the enabled modules, opens the port (which announces our capabilities), then follows
   * sessions; resolves once the port's first opening was tried, before the first session is known
   * (with logind, loading the D-Bus client and asking it takes a while).
   */
  async start(): Promise<void> {
    await this.apply(this.config.actions);
    await this.supervisor.start();
    const { session, log } = this.config;
    this.following = session?.start().catch((err: unknown) => log.error(`session: ${String(err)}`));
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
    await this.host.stopAll();
    await this.following;
    await this.config.session?.stop();
  }

  private async apply(actions: ActionSet): Promise<void> {
    await this.host.apply(enabledModules(actions, this.config.log).map((e) => this.wanted(e)));
    this.announceModules();
  }

  /** An enabled module as the daemon runs it: itself, or for a session module its proxy. */
  private wanted(e: EnabledModule): WantedModule {
    const { name } = e.definition;
    return {
      name,
      create: () => {
        const created = e.definition.create(this.config.desktop);
        // A session module runs in the helper; the daemon runs its proxy.
        return created.host === 'daemon' ? created : this.config.session?.proxy(e.definition, created);
      },
      context: {
        send: (m) => this.connection.send(m),
        clientCaps: () => this.connection.context.peerCaps,
        log: this.config.log,
        settings: e.settings,
        options: this.config.options ?? {},
        behind: (behind) => this.flow.set(`module ${name}`, behind),
      },
    };
  }

  /** Hands the connection the running modules; announces their capabilities when the port is open. */
  private announceModules(): void {
    this.connection.setModules(this.host.modules, this.portOpen);
  }
}

/** `promise`, or `ms` later if it has not settled by then; undefined without a promise. */
function within(promise: Promise<void> | undefined, ms: number): Promise<void> | undefined {
  if (!promise) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
