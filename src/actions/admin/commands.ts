import type { ActionSet } from '../actions-d.js';
import type { Logger } from '../../log/logger.js';
import type { CommandSpec, ParseEvent } from '../../qga/index.js';
import { QgaDispatcher } from './dispatcher.js';
import { ExecCommands } from './exec.js';
import { FileCommands } from './files.js';
import { kernelFreezer, type Freezer } from './freezer.js';
import { FreezeCommands } from './fsfreeze.js';
import { adminHandlers } from './handlers.js';
import { adminPolicy, type AdminPolicy } from './policy.js';
import { installedPackageVersion } from '../../platform/installation.js';
import { StateStore } from './state.js';
import { realClock, type SystemClock } from './set-time.js';
import { realSuspendSystem, suspendModeOf, type SuspendSystem } from './suspend.js';

/** The system seams: the real ones, or recorders for tests that must not freeze or move the clock. */
export interface AdminSystem {
  freezer: Freezer;
  clock: SystemClock;
  suspend: SuspendSystem;
}

/** What the admin commands need. */
export interface AdminCommandsOptions {
  log: Logger;
  /** The effective actions.d entries, whose policy enables commands. */
  actions: ActionSet;
  /** The state directory (frozen state, file handles); without it that state lives in memory. */
  stateDir: string;
  system?: Partial<AdminSystem>;
}

/** The admin policy of `actions`, its notes logged. */
function policyOf(actions: ActionSet, log: Logger): AdminPolicy {
  const policy = adminPolicy(actions);
  for (const note of policy.notes) log[note.level](note.text);
  return policy;
}

/**
 * The QEMU guest agent's commands: the dispatcher, its handlers and the actions.d policy that
 * enables them, with the state they keep (frozen filesystems, open file handles). Answers one
 * parsed request at a time; the QGA daemon owns the port and the request queue.
 */
export class AdminCommands {
  private readonly log: Logger;
  private policy: AdminPolicy;
  private readonly freeze: FreezeCommands;
  private readonly files: FileCommands;
  private readonly dispatcher: QgaDispatcher;

  constructor(opts: AdminCommandsOptions) {
    const { log } = opts;
    this.log = log;
    this.policy = policyOf(opts.actions, log);
    const state = new StateStore(opts.stateDir, log);
    const freeze = new FreezeCommands({
      freezer: opts.system?.freezer ?? kernelFreezer,
      hookDir: () => this.policy.hookDir,
      log,
      state,
      // Logs may live on a frozen filesystem: writing them could block the thaw.
      frozenChanged: (frozen) => log.silence(frozen),
    });
    this.freeze = freeze;
    this.files = new FileCommands(state);
    // The suspend entry's `modes` narrows the guest-suspend-* commands it enables.
    const allowedMode = (command: string): boolean => {
      const mode = suspendModeOf(command);
      return mode === undefined || this.policy.suspendModes.has(mode);
    };
    const gate = {
      // A restarted agent can start frozen whatever the entries say; a thaw is its only way out.
      enabled: (spec: CommandSpec) =>
        spec.action === 'always' ||
        (spec.action !== 'never' && this.policy.enabled(spec.action) && allowedMode(spec.name)) ||
        (freeze.frozen && spec.name === 'guest-fsfreeze-thaw'),
      frozen: () => freeze.frozen,
    };
    const handlers = adminHandlers({
      version: installedPackageVersion(),
      policy: () => this.policy,
      enabled: (spec) => gate.enabled(spec) && (!freeze.frozen || spec.whileFrozen),
      exec: new ExecCommands(() => this.policy.exec, log),
      files: this.files,
      freeze,
      clock: opts.system?.clock ?? realClock,
      log,
      suspend: opts.system?.suspend ?? realSuspendSystem(),
    });
    this.dispatcher = new QgaDispatcher(handlers, gate, log);
  }

  /** The bytes that answer one parse event, in parts made as they are written; undefined for a command that succeeds silently. */
  answer(event: ParseEvent): Promise<Iterable<Buffer> | undefined> {
    return this.dispatcher.answer(event);
  }

  /** Applies a reloaded action set: the commands it enables from the next request on. */
  reload(actions: ActionSet): void {
    this.policy = policyOf(actions, this.log);
  }

  /** Releases what requests left behind: thaws frozen filesystems, closes open file handles. */
  async close(): Promise<void> {
    if (this.freeze.frozen) await this.freeze.thaw();
    this.files.closeAll();
  }
}
