import { DisplayMap } from './display-map.js';
import { LayoutStore } from './layout-store.js';

/**
 * What a process knows of the guest's desktop, shared by its modules and its side of the session
 * channel: one per process, made by its composition root (the daemon's, the helper's).
 */
export class DesktopState {
  /**
   * SPICE display ids to outputs: graphics-device-info fills it in the daemon, the session bridge
   * hands its devices to the helper, whose runner fills its own; mouse and resolution read it.
   */
  readonly displays = new DisplayMap();
  /** The session's desktop layout: resolution sets it in the helper, the daemon's mouse follows it. */
  readonly layout = new LayoutStore();
}
