import { describe, expect, it } from 'vitest';
import { ClipboardGate } from '../../../src/actions/clipboard/gate.js';
import { ClipboardModule } from '../../../src/actions/clipboard/module.js';
import { AgentConnection } from '../../../src/agent/connection.js';
import { BlockPool } from '../../../src/protocol/block-pool.js';
import { Capability, CapabilitySet, ClipboardSelection, ClipboardType, type Message, MessageType } from '../../../src/protocol/index.js';
import { SessionModuleProxy } from '../../../src/session/proxy.js';
import { memoryLogger } from '../../support/log.js';
import { servingHost } from '../../support/proxy-host.js';

/** A clipboard proxy sending through a real agent connection whose port takes nothing, with a pool that frees its oversize buffers. */
async function clipboardProxy(caps: CapabilitySet) {
  const { log } = memoryLogger(true);
  const blocks = new BlockPool(1024, 4, { freeOversize: true });
  const written: Buffer[][] = [];
  const conn = new AgentConnection((chunks) => new Promise(() => written.push([...chunks])), { log, transferBlocks: blocks, maxQueuedBytes: 150_000 });
  const module = new ClipboardModule();
  const proxy = new SessionModuleProxy(module, new ClipboardGate(module.capabilities), servingHost());
  await proxy.start({ send: (m) => conn.send(m), clientCaps: () => caps, log, settings: new Map(), options: {} });
  return { proxy, blocks, written };
}

const answer = (data: Buffer): Message => ({ type: MessageType.Clipboard, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text, data });

describe('what becomes of a session module\'s message from the helper', () => {
  it('is queued when the output queue takes it, dropped with NONE sent instead when it refuses it', async () => {
    const { proxy, blocks, written } = await clipboardProxy(CapabilitySet.of(Capability.ClipboardByDemand));
    const first = blocks.take(100_000);
    const second = blocks.take(100_000);
    expect([proxy.fromHelper(answer(first)), proxy.fromHelper(answer(second))]).toEqual(['queued', 'dropped']);
    // The proxy only says so: what was not queued is the caller's to give back, never freed here.
    expect([first.length, second.length]).toEqual([100_000, 100_000]);
    expect(written).toHaveLength(1);
  });

  it('is dropped when the gate says it was made for a client that is gone, refused when the module may not send its type', async () => {
    const { proxy } = await clipboardProxy(CapabilitySet.empty);
    const grab: Message = { type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, types: [ClipboardType.Utf8Text], serial: 1 };
    expect(proxy.fromHelper(grab)).toBe('dropped');
    expect(proxy.fromHelper({ type: MessageType.MouseState, x: 0, y: 0, buttons: 0, displayId: 0 })).toBe('refused');
  });
});
