import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryPortPair } from '../../../src/transport/memory-port.js';
import { collect, delay, nextClose } from './helpers.js';

describe('MemoryPort', () => {
  it('delivers bytes written on one side to the other, asynchronously and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 20 }), async (chunks) => {
        const [a, b] = createMemoryPortPair();
        await a.open();
        await b.open();
        const got = collect(b);
        const expected = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        for (const c of chunks) await a.write(Buffer.from(c));
        expect(got.bytes().length).toBe(0); // nothing arrives synchronously
        expect(await got.until(expected.length, 1000)).toEqual(expected);
      }),
    );
  });

  it('works in both directions', async () => {
    const [a, b] = createMemoryPortPair();
    await a.open();
    await b.open();
    const atA = collect(a);
    const atB = collect(b);
    await a.write(Buffer.from('ping'));
    await b.write(Buffer.from('pong'));
    expect((await atB.until(4)).toString()).toBe('ping');
    expect((await atA.until(4)).toString()).toBe('pong');
  });

  it('copies written bytes, so the writer may reuse its buffer', async () => {
    const [a, b] = createMemoryPortPair();
    await a.open();
    await b.open();
    const got = collect(b);
    const buf = Buffer.from('abc');
    await a.write(buf);
    buf.fill(0);
    expect((await got.until(3)).toString()).toBe('abc');
  });

  it('discards bytes written to a side that is not open', async () => {
    const [a, b] = createMemoryPortPair();
    await a.open();
    const got = collect(b);
    await a.write(Buffer.from('lost'));
    await delay(10);
    await b.open();
    await a.write(Buffer.from('kept'));
    expect((await got.until(4)).toString()).toBe('kept');
    await delay(10);
    expect(got.bytes().toString()).toBe('kept');
  });

  it('drops bytes in flight to a side that closes before they arrive', async () => {
    const [a, b] = createMemoryPortPair();
    await a.open();
    await b.open();
    const got = collect(b);
    await a.write(Buffer.from('in flight'));
    await b.close();
    await b.open();
    await delay(10);
    expect(got.bytes().length).toBe(0);
  });

  it('rejects open() on an open side with EBUSY', async () => {
    const [a] = createMemoryPortPair();
    await a.open();
    await expect(a.open()).rejects.toMatchObject({ code: 'EBUSY' });
    expect(a.isOpen).toBe(true);
  });

  it('rejects writes on a side that is not open', async () => {
    const [a, b] = createMemoryPortPair();
    await b.open();
    await expect(a.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    await a.open();
    await a.close();
    await expect(a.write(Buffer.from('x'))).rejects.toThrow();
  });

  it('does not emit close when closed by its owner', async () => {
    const [a] = createMemoryPortPair();
    let closes = 0;
    a.on('close', () => closes++);
    await a.open();
    await a.close();
    await delay(10);
    expect(closes).toBe(0);
    expect(a.isOpen).toBe(false);
  });

  it('hangUp() closes the other side with an error, which can then be reopened', async () => {
    const [a, b] = createMemoryPortPair();
    await a.open();
    await b.open();
    const closed = nextClose(b);
    a.hangUp();
    expect(b.isOpen).toBe(false);
    expect(await closed).toMatchObject({ code: 'EIO' });
    expect(a.isOpen).toBe(true);
    await b.open();
    const got = collect(b);
    await a.write(Buffer.from('again'));
    expect((await got.until(5)).toString()).toBe('again');
  });

  it('hangUp() does nothing when the other side is not open', async () => {
    const [a, b] = createMemoryPortPair();
    let closes = 0;
    b.on('close', () => closes++);
    a.hangUp();
    await delay(10);
    expect(closes).toBe(0);
  });
});
