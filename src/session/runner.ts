import type { ActionModule, ModuleContext } from '../actions/module.js';
import { BUILTIN_MODULES, type ModuleDefinition } from '../actions/registry.js';
import type { DesktopState } from '../desktop/state.js';
import type { Logger } from '../log/logger.js';
import { CapabilitySet } from '../protocol/index.js';
import type { FromHelper, ModuleSpec, ToHelper } from './ipc.js';

/** A module the helper runs, with the settings it was started with. */
interface Running {
  module: ActionModule;
  settings: string;
}

/**
 * The helper's side of the channel: runs the session modules the daemon names, hands them the
 * client's messages and sends what they say back. Messages are taken in order; a module's own
 * work may overlap. Each message is acknowledged once its module finished it (a file written, not
 * just queued), in batches: the daemon's window of unacknowledged messages bounds the work here.
 */
export class SessionRunner {
  private readonly running = new Map<string, Running>();
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
  ) {
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
        this.send({ kind: 'running', modules: [...this.running.keys()] });
        return;
      case 'client-caps':
        this.clientCaps = CapabilitySet.fromWords(message.words);
        for (const r of this.running.values()) r.module.clientAnnounced?.();
        return;
      case 'displays':
        this.desktop.displays.setDevices(message.devices);
        return;
      case 'reset':
        this.running.get(message.module)?.module.resetClient();
        return;
      case 'message': {
        const module = this.running.get(message.module)?.module;
        if (!module?.handles.includes(message.message.type)) return;
        const done = module.handle(message.message);
        if (!(done instanceof Promise)) return;
        return {
          work: done.catch((err: unknown) => {
            this.log.error(`${module.name}: ${String(err)}`);
          }),
        };
      }
    }
  }

  private async apply(specs: readonly ModuleSpec[]): Promise<void> {
    const wanted = new Map(specs.map((s) => [s.name, s]));
    for (const [name, r] of this.running) {
      const w = wanted.get(name);
      if (w && JSON.stringify(w.settings) === r.settings) continue;
      this.running.delete(name);
      await r.module.stop().catch((err: unknown) => this.log.error(`module ${name}: stop failed: ${String(err)}`));
      this.log.info(`session: module ${name} stopped`);
    }
    for (const spec of wanted.values()) {
      if (this.running.has(spec.name)) continue;
      const module = this.definitions.find((d) => d.name === spec.name)?.create(this.desktop);
      if (module?.host !== 'session') {
        this.log.error(`session: no session module named ${spec.name}`);
        continue;
      }
      const ctx: ModuleContext = {
        send: (m) => {
          this.send({ kind: 'message', module: spec.name, message: m });
          return true;
        },
        clientCaps: () => this.clientCaps,
        log: this.log,
        settings: new Map(spec.settings),
        options: {},
        closed: (id) => this.send({ kind: 'closed', module: spec.name, id }),
      };
      try {
        await module.start(ctx);
        this.running.set(spec.name, { module, settings: JSON.stringify(spec.settings) });
        this.log.info(`session: module ${spec.name} started`);
      } catch (err) {
        this.log.error(`session: module ${spec.name} failed to start and stays off: ${String(err)}`);
      }
    }
  }
}
