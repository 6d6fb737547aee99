import { readFileSync } from 'node:fs';
import type { ActionSet } from '../actions-d.js';
import type { Service } from '../../commands/run-daemon.js';
import type { Logger } from '../../log/logger.js';
import { type CommandSpec, JsonStreamParser, type ParseEvent } from '../../qga/index.js';
import { openPortFor } from '../../transport/open-port.js';
import { PortSupervisor } from '../../transport/supervisor.js';
import { QgaDispatcher } from './dispatcher.js';
import { ExecCommands } from './exec.js';
import { FileCommands } from './files.js';
import { kernelFreezer, type Freezer } from './freezer.js';
import { FreezeCommands } from './fsfreeze.js';
import { adminHandlers } from './handlers.js';
import { adminPolicy, type AdminPolicy } from './policy.js';
import { realClock, type SystemClock } from './set-time.js';

/** Requests waiting for their turn before new ones are dropped (a host that floods and never reads). */
const MAX_QUEUED = 65536;
/** Bytes of requests waiting before new ones are dropped. */
const MAX_QUEUED_BYTES = 128 * 1024 * 1024;

/** The system seams: the real ones, or recorders for tests that must not freeze or move the clock. */
export interface AdminSystem {
  freezer: Freezer;
  clock: SystemClock;
}

/** How to start the guest-agent service. */
export interface QgaServiceOptions {
  /** The port's path (the daemon resolves `auto` and waits for the port to appear). */
  path: string;
  log: Logger;
  actions: ActionSet;
  system?: Partial<AdminSystem>;
}

/** This package's version, for guest-info. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Serves the QEMU guest-agent protocol on its port: bytes to the JSON stream parser, one request at
 * a time in arrival order, each answer written before the next request runs. Bad input is answered
 * and serving goes on; the port is kept open (reopened with back-off after errors).
 */
export async function startQgaService(opts: QgaServiceOptions): Promise<Service> {
  const { log } = opts;
  const path = opts.path;
  let policy: AdminPolicy;
  const applyPolicy = (actions: ActionSet): void => {
    policy = adminPolicy(actions);
    for (const note of policy.notes) log[note.level](note.text);
  };
  applyPolicy(opts.actions);

  const freeze = new FreezeCommands({
    freezer: opts.system?.freezer ?? kernelFreezer,
    hookDir: () => policy.hookDir,
    log,
    // Logs may live on a frozen filesystem: writing them could block the thaw.
    frozenChanged: (frozen) => (log.silent = frozen),
  });
  const exec = new ExecCommands((program) => policy.execAllowed(program));
  const files = new FileCommands();
  const gate = {
    enabled: (spec: CommandSpec) => spec.action === 'always' || policy.enabled(spec.action),
    frozen: () => freeze.frozen,
  };
  const handlers = adminHandlers({
    version: packageVersion(),
    policy: () => policy,
    enabled: (spec) => gate.enabled(spec) && (!freeze.frozen || spec.whileFrozen),
    exec,
    files,
    freeze,
    clock: opts.system?.clock ?? realClock,
    log,
  });
  const dispatcher = new QgaDispatcher(handlers, gate, log);

  const port = openPortFor(path);
  const supervisor = new PortSupervisor(port, log);
  const parser = new JsonStreamParser();
  const queue: ParseEvent[] = [];
  let queuedBytes = 0;
  let running: Promise<void> | undefined;

  const sizeOf = (e: ParseEvent): number => (e.kind === 'value' ? e.size : 0);
  const drain = async (): Promise<void> => {
    for (let event = queue.shift(); event; event = queue.shift()) {
      queuedBytes -= sizeOf(event);
      const answer = await dispatcher.answer(event);
      if (answer && port.isOpen) await port.write(answer).catch((err: Error) => log.warn(`${port.name}: ${err.message}`));
    }
  };
  const kick = (): void => {
    if (running || queue.length === 0) return;
    running = drain().finally(() => {
      running = undefined;
      kick();
    });
  };
  supervisor.on('data', (chunk) => {
    for (const event of parser.feed(chunk)) {
      if (event.kind === 'value') supervisor.healthy();
      if (queue.length >= MAX_QUEUED || queuedBytes + sizeOf(event) > MAX_QUEUED_BYTES) {
        log.warn(`${port.name}: the host sends requests faster than it reads answers; request dropped`);
        continue;
      }
      queue.push(event);
      queuedBytes += sizeOf(event);
    }
    kick();
  });
  supervisor.on('down', () => parser.reset());
  supervisor.start();
  log.info(`QEMU guest agent on ${path}`);

  return {
    reload: applyPolicy,
    async stop() {
      await running;
      if (freeze.frozen) await freeze.thaw();
      files.closeAll();
      await supervisor.stop();
    },
  };
}
