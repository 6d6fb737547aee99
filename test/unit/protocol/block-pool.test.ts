import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/protocol/block-pool.js';
import { MessageType } from '../../../src/protocol/index.js';

describe('the pool of reused transfer blocks', () => {
  it('hands out a block given back instead of allocating another', () => {
    const pool = new BlockPool(1024, 4);
    const first = pool.take(1000);
    pool.give(first.subarray(12));
    const second = pool.take(800);
    expect([second.length, second.buffer]).toEqual([800, first.buffer]);
  });

  it('allocates what does not fit a block, and leaves it to the collector when given back', () => {
    const pool = new BlockPool(1024, 4);
    const big = pool.take(1025);
    expect(big.length).toBe(1025);
    pool.give(big);
    pool.give(Buffer.alloc(100));
    expect(pool.held).toBe(0);
  });

  it('frees at once, when it frees oversize buffers, one that does not fit a block when given back', () => {
    const pool = new BlockPool(1024, 4, { freeOversize: true });
    const big = pool.take(4096);
    big.fill(7);
    const view = big.subarray(100, 200);
    expect([big.length, big.buffer.byteLength]).toEqual([4096, 4096]);
    pool.give(view);
    expect([big.length, view.length, big.buffer.byteLength, pool.held]).toEqual([0, 0, 0, 0]);
  });

  it('leaves alone a buffer of the same size it did not hand out', () => {
    const pool = new BlockPool(1024, 4, { freeOversize: true });
    const foreign = Buffer.from(new ArrayBuffer(4096, { maxByteLength: 4096 }));
    pool.give(foreign);
    expect(foreign.length).toBe(4096);
  });

  it('gives back the byte arrays of a message, freeing an oversize one and leaving the others alone', () => {
    const pool = new BlockPool(1024, 4, { freeOversize: true });
    const data = pool.take(4096);
    pool.giveMessage({ type: MessageType.Clipboard, selection: 0, dataType: 1, data });
    const small = Buffer.alloc(8, 1);
    pool.giveMessage({ type: MessageType.Clipboard, selection: 0, dataType: 1, data: small });
    expect([data.length, data.buffer.byteLength, small.length]).toEqual([0, 0, 8]);
  });

  it('keeps at most its bound of free blocks, and a block given back twice once', () => {
    const pool = new BlockPool(1024, 2);
    const taken = [pool.take(10), pool.take(10), pool.take(10)];
    pool.give(taken[0] as Buffer);
    pool.give(taken[0] as Buffer);
    expect(pool.held).toBe(1);
    for (const b of taken) pool.give(b);
    expect(pool.held).toBe(2);
  });
});
