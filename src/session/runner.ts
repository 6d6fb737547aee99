import { ModuleHost, type WantedModule } from '../actions/module-host.js';
import { BUILTIN_MODULES, type ModuleDefinition } from '../actions/registry.js';
import type { DesktopState } from '../desktop/state.js';
import type { Logger } from '../log/logger.js';
import { CapabilitySet } from '../protocol/index.js';
import type { BlockPool } from '../protocol/block-pool.js';
import type { FromHelper, ModuleSpec, ToHelper } from './ipc.js';

/**
 * The helper's side of the channel: runs the session modules the daemon names, hands them the
 * client's messages and sends what they say back. Messages are taken in order; a module's own
 * work may overlap. Each message is acknowledged once its module finished it (a file written, not
 * just queued), in batches: the daemon's window of unacknowledged messages bounds the work here.
 */
export class SessionRunner {
  private readonly host: ModuleHost;
  private clientCaps = CapabilitySet.empty;
  private queue = Promise.resolve();
  /** Messages finished since the last ack. */
  private finished = 0;
  private ackScheduled = false;

  constructor(
    private readonly send: (message: FromHelper) => void,
    private readonly log: Logger,
    private readonly desktop: DesktopState,
    private readonly definitions: readonly ModuleDefinition[] = BUILTIN_MODULES,
    private readonly blocks?: BlockPool,
  ) {
    this.host = new ModuleHost({ log, label: 'session: ' });
    // The layout resolution applied goes to the daemon, whose mouse follows it.
    desktop.layout.on('change', (monitors) => this.send({ kind: 'layout', monitors: monitors ? [...monitors] : null }));
  }

  /** Takes one message from the daemon. */
  receive(message: ToHelper): void {
    this.queue = this.queue.then(async () => {
      let work: Promise<void> | undefined;
      try {
        work = (await this.take(message))?.work;
      } catch (err) {
        this.log.error(`session: ${String(err)}`);
      }
      if (!work) return this.finish();
      void work.finally(() => this.finish());
    });
  }

  /** Stops every module (deleting what they leave unfinished). */
  async stop(): Promise<void> {
    await this.queue;
    await this.apply([]);
  }

  /** One more message finished: acknowledged with the others of this turn of the event loop. */
  private finish(): void {
    this.finished++;
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      const count = this.finished;
      this.finished = 0;
      if (count > 0) this.send({ kind: 'ack', count });
    });
  }

  /** Takes a message; a module's work still running is returned (wrapped, so it is not awaited here). */
  private async take(message: ToHelper): Promise<{ work: Promise<void> } | undefined> {
    switch (message.kind) {
      case 'modules':
        await this.apply(message.modules);
        this.send({ kind: 'running', modules: this.host.names });
        return;
      case 'client-caps':
        this.clientCaps = CapabilitySet.fromWords(message.words);
        for (const module of this.host.modules) module.clientAnnounced?.();
        return;
      case 'displays':
        this.desktop.displays.setDevices(message.devices);
        return;
      case 'reset':
        this.host.get(message.module)?.resetClient();
        // In order with the module's messages: the daemon drops those made before, for the old client.
        this.send({ kind: 'reset', module: message.module });
        return;
      case 'agent-announced':
        this.host.get(message.module)?.agentAnnounced?.();
        return;
      case 'message': {
        const module = this.host.get(message.module);
        if (!module?.handles.includes(message.message.type)) return;
        const done = module.handle(message.message);
        const release = module.releases?.includes(message.message.type) ? (): void => this.blocks?.giveMessage(message.message) : undefined;
        if (!(done instanceof Promise)) {
          release?.();
          return;
        }
        return {
          work: done
            .catch((err: unknown) => {
              this.log.error(`${module.name}: ${String(err)}`);
            })
            .finally(release),
        };
      }
    }
  }

  /** Runs the session modules the daemon names, each with its settings. */
  private async apply(specs: readonly ModuleSpec[]): Promise<void> {
    await this.host.apply(specs.map((spec) => this.wanted(spec)));
  }

  /** A module the daemon names, as the helper runs it. */
  private wanted(spec: ModuleSpec): WantedModule {
    return {
      name: spec.name,
      create: () => {
        const module = this.definitions.find((d) => d.name === spec.name)?.create(this.desktop);
        if (module?.host === 'session') return module;
        this.log.error(`session: no session module named ${spec.name}`);
        return undefined;
      },
      context: {
        send: (m) => {
          this.send({ kind: 'message', module: spec.name, message: m });
          return true;
        },
        clientCaps: () => this.clientCaps,
        log: this.log,
        settings: new Map(spec.settings),
        options: {},
        closed: (id) => this.send({ kind: 'closed', module: spec.name, id }),
        offer: (capabilities) => this.send({ kind: 'offer', module: spec.name, capabilities: [...capabilities] }),
      },
    };
  }
}
