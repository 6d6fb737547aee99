import type { ActionModule, ModuleContext } from './actions/module.js';
import { AgentConnection } from './agent/connection.js';
import type { Logger } from './log/logger.js';
import type { Port } from './transport/port.js';
import { PortSupervisor } from './transport/supervisor.js';

/** What a daemon needs: its port, its logger and the modules actions.d enabled. */
export interface DaemonConfig {
  /** The SPICE agent port. */
  port: Port;
  /** The daemon's logger. */
  log: Logger;
  /** Modules to start (daemon-side ones). */
  modules: readonly ActionModule[];
  /** Ceiling on a message's declared size. */
  maxMessageSize?: number;
}

/** The running agent daemon: a supervised port, one agent connection and its modules. */
export class Daemon {
  readonly connection: AgentConnection;
  readonly supervisor: PortSupervisor;
  private running: ActionModule[] = [];

  constructor(private readonly config: DaemonConfig) {
    const { port, log } = config;
    this.supervisor = new PortSupervisor(port, log);
    this.connection = new AgentConnection((chunk) => port.write(chunk), { log, maxMessageSize: config.maxMessageSize });
    this.supervisor.on('open', () => this.connection.opened());
    this.supervisor.on('data', (chunk) => this.connection.receive(chunk));
    this.supervisor.on('down', () => this.connection.closed());
    this.connection.on('resync', () => this.supervisor.resync());
    this.connection.on('healthy', () => this.supervisor.healthy());
  }

  /** Starts the modules, then opens the port (which announces our capabilities). */
  async start(): Promise<void> {
    for (const module of this.config.modules) {
      const ctx: ModuleContext = {
        send: (m) => this.connection.send(m),
        clientCaps: () => this.connection.context.peerCaps,
        log: this.config.log.child({}),
      };
      try {
        await module.start(ctx);
        this.running.push(module);
        this.config.log.info(`module ${module.name} started`);
      } catch (err) {
        this.config.log.error(`module ${module.name} failed to start and stays off: ${String(err)}`);
      }
    }
    this.connection.setModules(this.running);
    this.supervisor.start();
  }

  /** Closes the port and stops the modules. */
  async stop(): Promise<void> {
    await this.supervisor.stop();
    for (const module of this.running) await module.stop().catch(() => undefined);
    this.running = [];
  }
}
