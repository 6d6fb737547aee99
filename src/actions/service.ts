import type { ActionSet } from './actions-d.js';

/** A long-running side of the agent (the SPICE port, the guest-agent port) the daemon owns. */
export interface Service {
  /** Applies a reloaded action set. */
  reload(actions: ActionSet): void | Promise<void>;
  /** Stops the service. */
  stop(): Promise<void>;
}
