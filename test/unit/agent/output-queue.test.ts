import { describe, expect, it } from 'vitest';
import { OutputQueue } from '../../../src/agent/output-queue.js';
import { BlockPool } from '../../../src/protocol/block-pool.js';

/** A port write that takes nothing until released (or failed): the host stopped reading. */
function stuckPort(): { write: (chunks: readonly Buffer[]) => Promise<void>; written: Buffer[]; release(): void; fail(): void } {
  const written: Buffer[] = [];
  const waiting: { resolve(): void; reject(err: Error): void }[] = [];
  return {
    written,
    write: (chunks) =>
      new Promise((resolve, reject) => {
        written.push(...chunks);
        waiting.push({ resolve, reject });
      }),
    release: () => {
      for (const w of waiting.splice(0)) w.resolve();
    },
    fail: () => {
      for (const w of waiting.splice(0)) w.reject(new Error('EIO'));
    },
  };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

const chunk = (n: number): Buffer => Buffer.alloc(n, 1);

describe('the agent output queue', () => {
  it('refuses a message past the chunk bound even when its bytes fit', () => {
    const port = stuckPort();
    const q = new OutputQueue(port.write, 1 << 20, 4);
    const results = Array.from({ length: 6 }, () => q.enqueue([chunk(8)]));
    expect(results).toEqual([true, true, true, true, false, false]);
    expect(q.pendingChunks).toBe(4);
    expect(q.pendingBytes).toBe(32);
  });

  it('refuses a message past the byte bound even when its chunks fit', () => {
    const port = stuckPort();
    const q = new OutputQueue(port.write, 100, 1000);
    expect([q.enqueue([chunk(60)]), q.enqueue([chunk(60)])]).toEqual([true, false]);
  });

  it('takes one message larger than both bounds when nothing waits (a large clipboard answer)', () => {
    const port = stuckPort();
    const q = new OutputQueue(port.write, 100, 2);
    expect(q.enqueue([chunk(80), chunk(80), chunk(80)])).toBe(true);
    expect(q.enqueue([chunk(1)])).toBe(false);
  });

  it('takes messages again once the port wrote what waited', async () => {
    const port = stuckPort();
    const q = new OutputQueue(port.write, 1 << 20, 2);
    q.enqueue([chunk(1)]);
    q.enqueue([chunk(1)]);
    expect(q.enqueue([chunk(1)])).toBe(false);
    for (let i = 0; i < 4 && q.pendingChunks > 0; i++) {
      port.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(q.pendingChunks).toBe(0);
    expect(q.enqueue([chunk(1)])).toBe(true);
    expect(port.written.length).toBe(3);
  });

  it('says it is behind half-way to a bound, and caught up at an eighth of both or when cleared', async () => {
    const port = stuckPort();
    const said: boolean[] = [];
    const q = new OutputQueue(port.write, 1 << 20, 16, (behind) => said.push(behind));
    for (let i = 0; i < 7; i++) q.enqueue([chunk(1)]);
    expect(said).toEqual([]);
    q.enqueue([chunk(1)]);
    expect(said).toEqual([true]);
    for (let i = 0; i < 16 && q.pendingChunks > 2; i++) {
      port.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(said).toEqual([true, false]);
    q.enqueue([chunk(1 << 19)]);
    expect(said).toEqual([true, false, true]);
    q.clear();
    expect(said).toEqual([true, false, true, false]);
  });

  it('drops only the messages not begun when their client is gone: the one being written is finished', async () => {
    const port = stuckPort();
    const q = new OutputQueue(port.write, 1 << 20, 1 << 20);
    const first = Array.from({ length: 1500 }, () => chunk(2)); // more chunks than one write takes
    q.enqueue(first);
    q.enqueue([chunk(3), chunk(3)]);
    expect(port.written).toHaveLength(1024);
    q.dropWaiting();
    expect(q.pendingChunks).toBe(1500);
    expect(q.pendingBytes).toBe(3000);
    for (let i = 0; i < 4; i++) {
      port.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(port.written).toEqual(first);
    expect(q.pendingChunks).toBe(0);
  });

  it('drops every waiting message when none is being written', () => {
    const port = stuckPort();
    const q = new OutputQueue(port.write, 1 << 20, 1 << 20);
    q.enqueue([chunk(5)]);
    q.enqueue([chunk(6)]);
    q.enqueue([chunk(7)]);
    expect(port.written).toHaveLength(1);
    q.dropWaiting();
    expect(q.pendingBytes).toBe(5);
  });

  describe('with a pool that frees its oversize buffers (clipboard answers read from the helper)', () => {
    /** A queue on a stuck port with its pool, and two answers of the pool's, the first being written, the second waiting. */
    function twoAnswers() {
      const port = stuckPort();
      const blocks = new BlockPool(1024, 4, { freeOversize: true });
      const q = new OutputQueue(port.write, 1 << 20, 1 << 20, undefined, blocks);
      const [first, second] = [blocks.take(4096).fill(1), blocks.take(4096).fill(2)];
      q.enqueue([chunk(8), first]);
      q.enqueue([chunk(8), second]);
      return { port, q, blocks, first, second };
    }

    it('frees an answer once the port wrote it, not before', async () => {
      const { port, first, second } = twoAnswers();
      expect([first.length, second.length]).toEqual([4096, 4096]);
      port.release();
      await settle();
      expect([first.length, second.length]).toEqual([0, 4096]);
      port.release();
      await settle();
      expect([first.length, second.length]).toEqual([0, 0]);
      expect(port.written).toHaveLength(4);
    });

    it('frees the answers it drops when the port closes, the one being written once the port is done with it', async () => {
      const { port, q, first, second } = twoAnswers();
      q.clear();
      // The port may still read the first.
      expect([first.length, second.length]).toEqual([4096, 0]);
      port.fail();
      await settle();
      expect([first.length, second.length, q.pendingChunks]).toEqual([0, 0, 0]);
    });

    it('frees the answers dropped for a client that is gone at once, not behind the write under way', async () => {
      const { port, q, first, second } = twoAnswers();
      q.dropWaiting();
      expect([first.length, second.length, q.pendingChunks]).toEqual([4096, 0, 2]);
      port.release();
      await settle();
      expect([first.length, q.pendingChunks]).toEqual([0, 0]);
      expect(port.written).toHaveLength(2);
    });

    it('holds nothing more for a host that never takes the write under way, however often its clients go', () => {
      const { q, blocks, first } = twoAnswers();
      for (let round = 0; round < 100; round++) {
        const answer = blocks.take(4096);
        expect(q.enqueue([chunk(8), answer])).toBe(true);
        q.dropWaiting();
        expect(answer.length).toBe(0);
      }
      expect([first.length, q.pendingChunks]).toEqual([4096, 2]);
    });

    it('keeps what it drops that shares a store with the write under way until that write settled', async () => {
      const port = stuckPort();
      const blocks = new BlockPool(1024, 4, { freeOversize: true });
      const q = new OutputQueue(port.write, 1 << 20, 1 << 20, undefined, blocks);
      const answer = blocks.take(4096).fill(3);
      q.enqueue([chunk(8), answer.subarray(0, 2048)]);
      q.enqueue([chunk(8), answer.subarray(2048)]);
      q.dropWaiting();
      expect(answer.length).toBe(4096);
      port.release();
      await settle();
      expect([answer.length, q.pendingChunks]).toEqual([0, 0]);
    });

    it('frees what a failed write held and what waited behind it', async () => {
      const { port, q, first, second } = twoAnswers();
      port.fail();
      await settle();
      expect([first.length, second.length, q.pendingChunks]).toEqual([0, 0, 0]);
    });
  });
});
