import type { Logger } from '../log/logger.js';
import type { Port } from './port.js';

/**
 * Back-pressure from a port's consumers to the port: while any consumer says it is behind (the
 * session helper, the pointer sink), the port is paused, so the host blocks in its writes instead
 * of the daemon buffering; once none is, reading resumes.
 */
export class PortFlow {
  private readonly behind = new Set<string>();

  /** Flow control for `port`; pauses and resumes are logged to `log` at debug level. */
  constructor(
    private readonly port: Port,
    private readonly log?: Logger,
  ) {}

  /** Consumer `who` is behind (true) or caught up again (false). */
  set(who: string, behind: boolean): void {
    if (behind) this.behind.add(who);
    else this.behind.delete(who);
    if (this.behind.size > 0 && !this.port.isPaused) {
      this.log?.debug(`port paused: ${who} behind`);
      this.port.pause();
    } else if (this.behind.size === 0 && this.port.isPaused) {
      this.log?.debug(`port resumed: ${who} caught up`);
      this.port.resume();
    }
  }

  /** The consumers that hold the port paused. */
  get holders(): string[] {
    return [...this.behind];
  }
}
