import { type Args, QgaError, QgaErrorCode } from '../../qga/index.js';
import type { Freezer, FreezeOutcome } from './freezer.js';
import { runHooks } from './hooks.js';
import { errorText } from '../../platform/libc.js';
import type { Logger } from '../../log/logger.js';
import type { StateStore } from './state.js';

/** A filesystem frozen more often than this is not one a sane host made. */
const MAX_THAWS = 64;

/** What the freeze commands need. */
export interface FreezeContext {
  freezer: Freezer;
  hookDir: () => string;
  log: Logger;
  /** Where the frozen state is kept across restarts. */
  state: StateStore;
  /** Told when the frozen state starts and ends (logging stops while frozen). */
  frozenChanged(frozen: boolean): void;
}

/**
 * guest-fsfreeze-*: the agent's frozen state, hooks around it. The state is recorded before the
 * first filesystem is frozen and after the last is thawed, so an agent restarted after a crash
 * mid-freeze starts frozen, as qemu-ga does.
 */
export class FreezeCommands {
  private isFrozen = false;

  constructor(private readonly ctx: FreezeContext) {
    if (ctx.state.state.frozen) {
      ctx.log.warn('the agent stopped in frozen state: starting frozen, only guest-fsfreeze-thaw and -status are served until a thaw');
      this.isFrozen = true;
      ctx.frozenChanged(true);
    }
  }

  /** Whether the agent is in the frozen state. */
  get frozen(): boolean {
    return this.isFrozen;
  }

  /** Enters the frozen state once it is recorded (throws when it cannot be), or leaves it. */
  private setFrozen(frozen: boolean): void {
    if (frozen === this.isFrozen) return;
    if (frozen) {
      try {
        this.ctx.state.update({ frozen });
      } catch (err) {
        throw new QgaError(QgaErrorCode.CommandFailed, `failed to record the frozen state: ${errorText(err)}`);
      }
    }
    this.isFrozen = frozen;
    this.ctx.frozenChanged(frozen);
    // Logging works again: a failure to record the thaw is logged, and the next start is frozen.
    if (!frozen) this.ctx.state.tryUpdate({ frozen });
  }

  /** guest-fsfreeze-status. */
  status(): string {
    return this.isFrozen ? 'frozen' : 'thawed';
  }

  /** guest-fsfreeze-freeze and -freeze-list: hooks, then each filesystem, children before parents. */
  async freeze(args: Args): Promise<number> {
    const only = args.optStrList('mountpoints');
    await runHooks(this.ctx.hookDir(), 'freeze', this.ctx.log);
    const dirs = this.ctx.freezer.mountpoints().reverse().filter((dir) => !only || only.includes(dir));
    let outcome: FreezeOutcome;
    try {
      this.setFrozen(true);
      outcome = await this.ctx.freezer.freeze(dirs);
    } catch (err) {
      await this.thaw();
      throw err;
    }
    if (outcome.error !== undefined) {
      await this.thaw();
      throw new QgaError(QgaErrorCode.CommandFailed, outcome.error);
    }
    if (outcome.frozen === 0) this.setFrozen(false);
    return outcome.frozen;
  }

  /** guest-fsfreeze-thaw: thaws every local filesystem fully, leaves the frozen state, runs the hooks. */
  async thaw(): Promise<number> {
    let count = 0;
    for (const dir of this.ctx.freezer.mountpoints()) {
      let thawed = 0;
      while (thawed < MAX_THAWS && this.ctx.freezer.thaw(dir)) thawed++;
      if (thawed > 0) count++;
    }
    this.setFrozen(false);
    await runHooks(this.ctx.hookDir(), 'thaw', this.ctx.log);
    return count;
  }
}
