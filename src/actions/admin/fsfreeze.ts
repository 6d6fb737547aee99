import type { Args } from '../../qga/index.js';
import type { Freezer } from './freezer.js';
import { runHooks } from './hooks.js';
import type { AdminLog } from './log.js';

/** A filesystem frozen more often than this is not one a sane host made. */
const MAX_THAWS = 64;

/** What the freeze commands need. */
export interface FreezeContext {
  freezer: Freezer;
  hookDir: () => string;
  log: AdminLog;
  /** Told when the frozen state starts and ends (logging stops while frozen). */
  frozenChanged(frozen: boolean): void;
}

/** guest-fsfreeze-*: the agent's frozen state, hooks around it. */
export class FreezeCommands {
  private isFrozen = false;

  constructor(private readonly ctx: FreezeContext) {}

  /** Whether the agent is in the frozen state. */
  get frozen(): boolean {
    return this.isFrozen;
  }

  private setFrozen(frozen: boolean): void {
    if (frozen === this.isFrozen) return;
    this.isFrozen = frozen;
    this.ctx.frozenChanged(frozen);
  }

  /** guest-fsfreeze-status. */
  status(): string {
    return this.isFrozen ? 'frozen' : 'thawed';
  }

  /** guest-fsfreeze-freeze and -freeze-list: hooks, then each filesystem, children before parents. */
  async freeze(args: Args): Promise<number> {
    const only = args.optStrList('mountpoints');
    await runHooks(this.ctx.hookDir(), 'freeze', this.ctx.log);
    const dirs = this.ctx.freezer.mountpoints().reverse();
    this.setFrozen(true);
    let count = 0;
    try {
      for (const dir of dirs) {
        if (only && !only.includes(dir)) continue;
        if (this.ctx.freezer.freeze(dir) === 'frozen') count++;
      }
    } catch (err) {
      await this.thaw();
      throw err;
    }
    if (count === 0) this.setFrozen(false);
    return count;
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
