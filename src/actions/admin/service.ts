import { readFileSync } from 'node:fs';
import type { ActionSet } from '../actions-d.js';
import type { Service } from '../service.js';
import type { Logger } from '../../log/logger.js';
import type { CommandSpec } from '../../qga/index.js';
import { openPortFor } from '../../transport/open-port.js';
import { PortSupervisor } from '../../transport/supervisor.js';
import { QgaDispatcher } from './dispatcher.js';
import { ExecCommands } from './exec.js';
import { FileCommands } from './files.js';
import { kernelFreezer, type Freezer } from './freezer.js';
import { FreezeCommands } from './fsfreeze.js';
import { adminHandlers } from './handlers.js';
import { RequestIntake } from '../../qga-intake.js';
import { adminPolicy, type AdminPolicy } from './policy.js';
import { StateStore } from './state.js';
import { realClock, type SystemClock } from './set-time.js';
import { realSuspendSystem, suspendModeOf, type SuspendSystem } from './suspend.js';

/** How long stopping waits for the request in progress (a hook or program may hang) before closing anyway. */
const STOP_GRACE_MS = 500;

/** The system seams: the real ones, or recorders for tests that must not freeze or move the clock. */
export interface AdminSystem {
  freezer: Freezer;
  clock: SystemClock;
  suspend: SuspendSystem;
}

/** How to start the guest-agent service. */
export interface QgaServiceOptions {
  /** The port's path (the daemon resolves `auto` and waits for the port to appear). */
  path: string;
  log: Logger;
  actions: ActionSet;
  /** The state directory (frozen state, file handles); without it that state lives in memory. */
  stateDir: string;
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
 * a time in arrival order, each answer written before the next request runs; a host that sends
 * faster than it reads answers is slowed down (RequestIntake). Bad input is answered and serving
 * goes on; the port is kept open (reopened with back-off after errors). Stopping drops what is
 * queued and waits at most STOP_GRACE_MS for the request in progress.
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

  const state = new StateStore(opts.stateDir, log);
  const freeze = new FreezeCommands({
    freezer: opts.system?.freezer ?? kernelFreezer,
    hookDir: () => policy.hookDir,
    log,
    state,
    // Logs may live on a frozen filesystem: writing them could block the thaw.
    frozenChanged: (frozen) => (log.silent = frozen),
  });
  const exec = new ExecCommands(() => policy.exec, log);
  const files = new FileCommands(state);
  // The suspend entry's `modes` narrows the guest-suspend-* commands it enables.
  const allowedMode = (command: string): boolean => {
    const mode = suspendModeOf(command);
    return mode === undefined || policy.suspendModes.has(mode);
  };
  const gate = {
    // A restarted agent can start frozen whatever the entries say; a thaw is its only way out.
    enabled: (spec: CommandSpec) =>
      spec.action === 'always' || (policy.enabled(spec.action) && allowedMode(spec.name)) || (freeze.frozen && spec.name === 'guest-fsfreeze-thaw'),
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
    suspend: opts.system?.suspend ?? realSuspendSystem(),
  });
  const dispatcher = new QgaDispatcher(handlers, gate, log);

  const port = openPortFor(path);
  const supervisor = new PortSupervisor(port, log);
  const intake = new RequestIntake(port, log, () => supervisor.healthy());
  let running: Promise<void> | undefined;
  let stopping = false;

  const drain = async (): Promise<void> => {
    for (let event = intake.next(); event && !stopping; event = intake.next()) {
      const answer = await dispatcher.answer(event);
      if (answer && port.isOpen && !stopping) await port.write(answer).catch((err: Error) => log.warn(`${port.name}: ${err.message}`));
    }
  };
  const kick = (): void => {
    if (running || stopping || intake.length === 0) return;
    running = drain().finally(() => {
      running = undefined;
      kick();
    });
  };
  supervisor.on('data', (chunk) => {
    intake.push(chunk);
    kick();
  });
  supervisor.on('down', () => intake.reset());
  supervisor.start();
  log.info(`QEMU guest agent on ${path}`);

  return {
    reload: applyPolicy,
    async stop() {
      stopping = true;
      intake.clear();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (grace = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(grace);
      if (freeze.frozen) await freeze.thaw();
      files.closeAll();
      await supervisor.stop();
    },
  };
}
