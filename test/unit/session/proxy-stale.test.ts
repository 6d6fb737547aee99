import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ClipboardGate } from '../../../src/actions/clipboard/gate.js';
import { ClipboardModule } from '../../../src/actions/clipboard/module.js';
import { createLogger } from '../../../src/log/logger.js';
import { Capability, CapabilitySet, ClipboardSelection, ClipboardType, type Message, MessageType } from '../../../src/protocol/index.js';
import { SessionModuleProxy } from '../../../src/session/proxy.js';
import { servingHost } from '../../support/proxy-host.js';

const host = servingHost();

const grab: Message = { type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, types: [ClipboardType.Utf8Text], serial: 3 };

describe('the clipboard proxy between a helper and a client that changed', () => {
  it('drops a guest grab the helper made for the client that left, and passes the next one once a client announced', async () => {
    const module = new ClipboardModule();
    const proxy = new SessionModuleProxy(module, new ClipboardGate(module.capabilities), host);
    const sent: Message[] = [];
    let caps = CapabilitySet.empty;
    await proxy.start({ send: (m) => sent.push(m) > 0, clientCaps: () => caps, log: createLogger({ stream: new PassThrough(), journal: true }), settings: new Map(), options: {} });
    // CLIENT_DISCONNECTED was taken in (no client caps); the helper had not heard of it yet.
    expect(proxy.fromHelper(grab)).toBe('dropped');
    expect(sent).toEqual([]);
    caps = CapabilitySet.of(Capability.ClipboardByDemand);
    expect(proxy.fromHelper({ ...grab, serial: 0 })).toBe('queued');
    expect(sent).toEqual([{ ...grab, serial: 0 }]);
    // The release the helper would owe when it goes is for the grab the client heard of only.
    proxy.lost();
    expect(sent.at(-1)).toEqual({ type: MessageType.ClipboardRelease, selection: ClipboardSelection.Clipboard });
  });
});
