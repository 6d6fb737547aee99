import { EventEmitter } from 'node:events';
import type { Monitor } from '../platform/display/monitor.js';

/** Events of a layout store. */
export interface LayoutStoreEvents {
  /** The layout changed (undefined: no session reports one any more). */
  change: [monitors: readonly Monitor[] | undefined];
}

/**
 * The desktop layout of the graphical session. In the session helper the resolution module puts
 * each applied layout here (for the helper to report to the daemon); in the daemon the reports
 * arrive here and the mouse follows them (undefined when the session ends, which returns the mouse
 * to the `layout` setting or the DRM layout).
 */
export class LayoutStore extends EventEmitter<LayoutStoreEvents> {
  private monitors: readonly Monitor[] | undefined;

  /** The last reported layout, if any. */
  get current(): readonly Monitor[] | undefined {
    return this.monitors;
  }

  /** Replaces the layout; undefined when the session ends. */
  set(monitors: readonly Monitor[] | undefined): void {
    this.monitors = monitors?.map((m) => ({ ...m }));
    this.emit('change', this.monitors);
  }
}
