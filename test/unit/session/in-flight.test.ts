import { describe, expect, it } from 'vitest';
import { BlockPool, TRANSFER_BLOCK } from '../../../src/protocol/block-pool.js';
import { MessageType } from '../../../src/protocol/index.js';
import { HELPER_WINDOW, InFlightWindow, TRANSFER_BLOCKS_KEPT } from '../../../src/session/in-flight.js';
import type { ToHelper } from '../../../src/session/ipc.js';
import { estimateSize } from '../../../src/session/message-size.js';
import { PortFlow } from '../../../src/transport/flow.js';
import { createMemoryPortPair } from '../../../src/transport/memory-port.js';

const limits = { highBytes: 1000, lowBytes: 200, highItems: 10, lowItems: 3 };

function window(): { w: InFlightWindow; changes: boolean[] } {
  const changes: boolean[] = [];
  return { w: new InFlightWindow(limits, (full) => changes.push(full)), changes };
}

describe('the daemon → helper window', () => {
  it('is full at the item mark and drains only at or below both low marks', () => {
    const { w, changes } = window();
    for (let i = 0; i < 9; i++) w.sent(10);
    expect(w.full).toBe(false);
    w.sent(10);
    expect([w.full, changes]).toEqual([true, [true]]);
    w.acked(6);
    expect(w.full).toBe(true); // 4 items left: above the low mark
    w.acked(1);
    expect([w.full, w.items, w.pendingBytes, changes]).toEqual([false, 3, 30, [true, false]]);
  });

  it('is full at the byte mark', () => {
    const { w } = window();
    w.sent(600);
    w.sent(400);
    expect(w.full).toBe(true);
    w.acked(1);
    expect(w.full).toBe(true); // 400 bytes: above the low mark
    w.acked(1);
    expect(w.full).toBe(false);
  });

  it('only empties when a peer acknowledges more than was sent', () => {
    const { w } = window();
    w.sent(5);
    w.acked(1_000_000);
    expect([w.items, w.pendingBytes]).toEqual([0, 0]);
    w.sent(5);
    expect(w.items).toBe(1);
  });

  it('clears when the peer is gone, and says it drained', () => {
    const { w, changes } = window();
    for (let i = 0; i < 10; i++) w.sent(1);
    w.clear();
    expect([w.full, w.items, changes]).toEqual([false, 0, [true, false]]);
  });
});

describe('port flow', () => {
  it('pauses the port while any consumer is behind, and resumes when none is', async () => {
    const [port] = createMemoryPortPair();
    const flow = new PortFlow(port);
    flow.set('session helper', true);
    flow.set('module mouse', true);
    expect([port.isPaused, flow.holders]).toEqual([true, ['session helper', 'module mouse']]);
    flow.set('session helper', false);
    expect(port.isPaused).toBe(true);
    flow.set('module mouse', false);
    flow.set('module mouse', false);
    expect([port.isPaused, flow.holders]).toEqual([false, []]);
  });

  it('lets no more 64 KiB DATA be in flight than the blocks kept for reuse hold, so a transfer leaves none to the collector', () => {
    const pool = new BlockPool(TRANSFER_BLOCK, TRANSFER_BLOCKS_KEPT);
    const w = new InFlightWindow(HELPER_WINDOW, () => undefined);
    const made = new Set<ArrayBufferLike>();
    const inUse: Buffer[] = [];
    const take = (): Buffer => {
      const block = pool.take(TRANSFER_BLOCK);
      made.add(block.buffer);
      inUse.push(block);
      return block;
    };
    for (let round = 0; round < 3; round++) {
      const send = (): void => w.sent(estimateSize({ kind: 'message', module: 'file-xfer', message: { type: MessageType.FileXferData, id: 1, data: take().subarray(12) } } satisfies ToHelper));
      while (!w.full) send();
      send(); // what the port read that filled the window completes past its mark
      take(); // and the next DATA being collected meanwhile
      for (const block of inUse.splice(0)) pool.give(block);
      w.acked(w.items);
    }
    expect(made.size).toBeLessThanOrEqual(TRANSFER_BLOCKS_KEPT);
    // Every block ever made is free again: none was left to the collector.
    expect(pool.held).toBe(made.size);
  });
});
