import { describe, expect, it } from 'vitest';
import { plainGate } from '../../../src/actions/session-gate.js';
import { Capability, MessageType } from '../../../src/protocol/index.js';

describe('a session module without rules of its own', () => {
  it('announces its bits while a helper serves it, and forwards everything', () => {
    const gate = plainGate([Capability.MonitorsConfig]);
    expect(gate.capabilities('absent')).toEqual([]);
    for (const s of ['greeter', 'locked', 'active'] as const) expect(gate.capabilities(s)).toEqual([Capability.MonitorsConfig]);
    expect(gate.admit({ type: MessageType.ClientDisconnected }, 'absent')).toEqual({ kind: 'forward' });
    expect(gate.lost()).toEqual([]);
  });
});
