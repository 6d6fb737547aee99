import { describe, expect, it } from 'vitest';
import type { ActionModule } from '../../../src/actions/module.js';
import { plainGate } from '../../../src/actions/session-gate.js';
import { Capability, MessageType } from '../../../src/protocol/index.js';
import { SessionModuleProxy } from '../../../src/session/proxy.js';
import { servingHost as host } from '../../support/proxy-host.js';

/** A session module with two bits, as the daemon makes it only to wrap it. */
const module: ActionModule = {
  name: 'two-bits',
  capabilities: [Capability.AudioVolumeSync, Capability.Reply],
  handles: [MessageType.AudioVolumeSync],
  host: 'session',
  start: async () => undefined,
  stop: async () => undefined,
  handle: () => undefined,
  resetClient: () => undefined,
};

describe('the bits a session module announces follow what the module in the helper offers', () => {
  it('are all of the gate\'s while the module offered nothing', () => {
    expect(new SessionModuleProxy(module, plainGate(module.capabilities), host(undefined)).capabilities).toEqual([Capability.AudioVolumeSync, Capability.Reply]);
  });

  it('are only the offered ones, none when it offers none', () => {
    expect(new SessionModuleProxy(module, plainGate(module.capabilities), host([Capability.Reply])).capabilities).toEqual([Capability.Reply]);
    expect(new SessionModuleProxy(module, plainGate(module.capabilities), host([])).capabilities).toEqual([]);
  });

  it('never include a bit the module does not have, whatever a helper offers', () => {
    expect(new SessionModuleProxy(module, plainGate(module.capabilities), host([Capability.FileXferDisabled, Capability.AudioVolumeSync])).capabilities).toEqual([Capability.AudioVolumeSync]);
  });
});
