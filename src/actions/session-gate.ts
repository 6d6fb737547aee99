import type { Capability, CapabilitySet, Message } from '../protocol/index.js';

/**
 * What the daemon knows of the session a session module acts in: no helper serves it (`absent`),
 * a login screen (`greeter`), a locked user session (`locked`), or an unlocked one (`active`).
 */
export type SessionState = 'absent' | 'greeter' | 'locked' | 'active';

/** What becomes of a client message for a session module. */
export type Admission = { kind: 'forward' } | { kind: 'reply'; message: Message };

/**
 * The daemon-side stand-in of a session module: the capability bits the client sees in each
 * session state, the answers the daemon gives itself when the helper cannot take a message, and
 * what the client must be told when the helper goes away.
 */
export interface SessionGate {
  /** Capability bits to announce in this state. */
  capabilities(state: SessionState): readonly Capability[];
  /** Looks at a client message before it goes to the helper: forward it, or answer it here. */
  admit(message: Message, state: SessionState): Admission;
  /**
   * Whether a message the helper sent may reach the client with these capabilities (absent: all
   * may). The helper hears of a client change after the daemon: what it sent before is for the old client.
   */
  passes?(message: Message, clientCaps: CapabilitySet): boolean;
  /** Notes a message the helper sent to the client. */
  sent(message: Message): void;
  /** What to send instead of a message of the helper's that the output queue refused (none: nothing). */
  refused?(message: Message): Message | undefined;
  /** The module in the helper closed what request `id` held (see ModuleContext.closed). */
  closed?(id: number): void;
  /** The helper went away: what the client must be told (its state is forgotten). */
  lost(): Message[];
  /** Forgets per-client state (new client, CLIENT_DISCONNECTED). */
  resetClient(): void;
}

/** Forwarding, the admission most messages get. */
export const FORWARD: Admission = { kind: 'forward' };

/** The gate of a session module with no rules of its own: its bits are announced while a helper serves it. */
export function plainGate(capabilities: readonly Capability[]): SessionGate {
  return {
    capabilities: (state) => (state === 'absent' ? [] : capabilities),
    admit: () => FORWARD,
    sent: () => undefined,
    lost: () => [],
    resetClient: () => undefined,
  };
}
