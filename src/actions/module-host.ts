import type { Logger } from '../log/logger.js';
import type { ActionModule, ModuleContext } from './module.js';

/** A module a process wants running: how to make it and the context it runs with. */
export interface WantedModule {
  /** The actions.d entry name. */
  readonly name: string;
  /** Makes the module; undefined when this process cannot run it (the caller has said why). */
  create(): ActionModule | undefined;
  /** The context it starts with; a change of its settings restarts the module. */
  readonly context: ModuleContext;
}

/** What a module host needs. */
export interface ModuleHostOptions {
  log: Logger;
  /** Prefixes its log lines (the helper's `session: `). */
  label?: string;
  /** A module stopped (after its stop finished, failed or not). */
  stopped?(name: string): void;
}

/** A module that runs, with the settings it was started with. */
interface Running {
  module: ActionModule;
  settings: string;
}

/**
 * Starts and stops a process's modules, the daemon's and the session helper's alike: each apply
 * first stops the modules no longer wanted (or whose settings changed), then starts the new ones
 * in the order given. A module that fails to start stays off, and is tried again at the next
 * apply; its failure is logged once, and again only when the reason changes. One that fails to
 * stop is gone all the same; neither keeps the others from starting or stopping.
 */
export class ModuleHost {
  private readonly running = new Map<string, Running>();
  /** Why each wanted module that is off failed to start last time, so a repeat is not logged again. */
  private readonly failures = new Map<string, string>();

  constructor(private readonly options: ModuleHostOptions) {}

  /** Names of the modules that run, in the order they started. */
  get names(): string[] {
    return [...this.running.keys()];
  }

  /** The modules that run, in the order they started. */
  get modules(): ActionModule[] {
    return [...this.running.values()].map((r) => r.module);
  }

  /** The running module of that name, if any. */
  get(name: string): ActionModule | undefined {
    return this.running.get(name)?.module;
  }

  /** Makes the modules that run those wanted, each with its settings. */
  async apply(wanted: readonly WantedModule[]): Promise<void> {
    const { log, label = '' } = this.options;
    const byName = new Map(wanted.map((w) => [w.name, w]));
    for (const name of this.failures.keys()) if (!byName.has(name)) this.failures.delete(name);
    for (const [name, r] of this.running) {
      const w = byName.get(name);
      if (w && settingsKey(w.context) === r.settings) continue;
      this.running.delete(name);
      await r.module.stop().catch((err: unknown) => log.error(`${label}module ${name}: stop failed: ${String(err)}`));
      this.options.stopped?.(name);
      log.info(`${label}module ${name} stopped`);
    }
    for (const w of byName.values()) {
      if (this.running.has(w.name)) continue;
      const module = w.create();
      if (!module) continue;
      try {
        await module.start(w.context);
        this.running.set(w.name, { module, settings: settingsKey(w.context) });
        this.failures.delete(w.name);
        log.info(`${label}module ${w.name} started`);
      } catch (err) {
        const why = String(err);
        if (this.failures.get(w.name) === why) log.debug(`${label}module ${w.name} still fails to start: ${why}`);
        else log.error(`${label}module ${w.name} failed to start and stays off: ${why}`);
        this.failures.set(w.name, why);
      }
    }
  }

  /** Stops every module, quietly (the process ends). */
  async stopAll(): Promise<void> {
    const modules = this.modules;
    this.running.clear();
    for (const module of modules) await module.stop().catch(() => undefined);
  }
}

/** A comparable form of a module's settings. */
function settingsKey(context: ModuleContext): string {
  return JSON.stringify([...context.settings].sort());
}
