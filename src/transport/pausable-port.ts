import { EventEmitter } from 'node:events';
import type { PortEvents } from './port.js';

/**
 * What every Port does with pause()/resume(): it keeps the flag; a subclass says in resumed() what
 * reading again means for it (deliver what it held, wake its read loops, re-arm its poller).
 */
export abstract class PausablePort extends EventEmitter<PortEvents> {
  private paused = false;

  /** Whether reading is paused. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Stops reading until resume(). */
  pause(): void {
    this.paused = true;
  }

  /** Reads again after pause(). */
  resume(): void {
    this.paused = false;
    this.resumed();
  }

  /** Called by resume() once the port is no longer paused. */
  protected abstract resumed(): void;
}
