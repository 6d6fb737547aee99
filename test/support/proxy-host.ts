import type { ProxyHost } from '../../src/session/proxy.js';

/** A bridge whose helper serves the module and offered `offered` of its bits (undefined: said nothing). */
export function servingHost(offered?: number[]): ProxyHost {
  return {
    state: () => 'active',
    attach: () => undefined,
    detach: () => undefined,
    forward: () => undefined,
    reset: () => undefined,
    announced: () => undefined,
    offered: () => (offered ? new Set(offered) : undefined),
    agentAnnounced: () => undefined,
  };
}
