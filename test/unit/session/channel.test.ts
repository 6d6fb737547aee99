import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { serialize } from 'node:v8';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pack } from '../../../src/session/attachments.js';
import { BlockPool } from '../../../src/protocol/block-pool.js';
import { FrameChannel } from '../../../src/session/channel.js';
import { GrowableBytes } from '../../../src/platform/growable-bytes.js';

/** Two connected UNIX stream sockets (like the inherited socketpair). */
async function socketPair(): Promise<{ a: Socket; b: Socket; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'channel-'));
  const path = join(dir, 's');
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const a = connect(path);
  const b = await accepted;
  server.close();
  return {
    a,
    b,
    close() {
      a.destroy();
      b.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A receiving channel on a fresh pair: the codes of the frames it reports malformed, and its next message. */
async function watchedReceiver(): Promise<{ pair: Awaited<ReturnType<typeof socketPair>>; codes: string[]; next: Promise<unknown> }> {
  const pair = await socketPair();
  cleanups.push(pair.close);
  const rx = new FrameChannel(pair.b, 1 << 20);
  const codes: string[] = [];
  rx.on('malformed', (err) => codes.push(err.code ?? ''));
  const next = new Promise<unknown>((r) => rx.once('message', r));
  return { pair, codes, next };
}

describe('the daemon ↔ helper frame channel', () => {
  it('carries structured messages with Buffers and bigints, in order', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const tx = new FrameChannel(pair.a, 1 << 20);
    const rx = new FrameChannel(pair.b, 1 << 20);
    const got: unknown[] = [];
    const all = new Promise<void>((r) => rx.on('message', (m) => got.push(m) === 3 && r()));
    tx.send({ kind: 'a', data: Buffer.from([0, 255]) });
    tx.send({ kind: 'b', bytes: 1n << 60n });
    tx.send({ kind: 'c', big: Buffer.alloc(300_000, 7) });
    await all;
    expect(got[0]).toEqual({ kind: 'a', data: Buffer.from([0, 255]) });
    expect(got[1]).toEqual({ kind: 'b', bytes: 1n << 60n });
    expect(Buffer.isBuffer((got[2] as { big: Buffer }).big)).toBe(true);
  });

  it('refuses a frame declared over the bound from its header, without buffering its payload, and closes', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const rx = new FrameChannel(pair.b, 1 << 20);
    const malformed = new Promise<NodeJS.ErrnoException>((r) => rx.once('malformed', r));
    const closed = new Promise<void>((r) => rx.once('close', r));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xfffffff0, 0);
    pair.a.on('error', () => undefined);
    pair.a.write(Buffer.concat([header, Buffer.alloc(64 * 1024)]));
    expect((await malformed).code).toBe('EMSGSIZE');
    await closed;
    expect(rx.open).toBe(false);
  });

  it('refuses an envelope over its own bound from the header, whatever the frame bound, and still carries a large attachment', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const rx = new FrameChannel(pair.b, 2 << 20, undefined, 1024);
    const got = new Promise<unknown>((r) => rx.once('message', r));
    const tx = new FrameChannel(pair.a, 2 << 20);
    tx.send({ kind: 'message', data: Buffer.alloc(300_000, 5) });
    expect(((await got) as { data: Buffer }).data.length).toBe(300_000);
    const malformed = new Promise<NodeJS.ErrnoException>((r) => rx.once('malformed', r));
    const closed = new Promise<void>((r) => rx.once('close', r));
    pair.a.on('error', () => undefined);
    tx.send({ kind: 'message', many: Array.from({ length: 1000 }, () => ({})) });
    expect((await malformed).code).toBe('EMSGSIZE');
    await closed;
    expect(rx.open).toBe(false);
  });

  it('drops a frame that does not deserialize and goes on with the next', async () => {
    const { pair, codes, next } = await watchedReceiver();
    const junk = Buffer.from([0, 0, 0, 3, 0xff, 0x00, 0x99]);
    pair.a.write(junk);
    new FrameChannel(pair.a, 1 << 20).send({ kind: 'hello' });
    expect(await next).toEqual({ kind: 'hello' });
    expect(codes).toEqual(['EBADMSG']);
  });

  it('reassembles frames however the writes are cut, one byte at a time included', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const rx = new FrameChannel(pair.b, 1 << 20);
    const got: unknown[] = [];
    const all = new Promise<void>((r) => rx.on('message', (m) => got.push(m) === 3 && r()));
    const sent = [{ kind: 'a' }, { kind: 'b', data: Buffer.alloc(100_000, 3) }, { kind: 'c' }];
    const frames = Buffer.concat(sent.map((m) => {
      const payload = serialize(m);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length, 0);
      return Buffer.concat([header, payload]);
    }));
    // The first frame and a half one byte a write, the rest at once.
    for (let i = 0; i < 2000; i++) {
      pair.a.write(frames.subarray(i, i + 1));
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    pair.a.write(frames.subarray(2000));
    await all;
    expect(got).toEqual(sent);
  });

  it('sends a byte array of 64 KiB or more after the envelope, its bytes as they are, and delivers it intact', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const wire: Buffer[] = [];
    pair.b.on('data', (d: Buffer) => wire.push(d));
    new FrameChannel(pair.a, 2 << 20).send({ kind: 'message', data, small: Buffer.from([1, 2]) });
    await expect.poll(() => wire.reduce((n, d) => n + d.length, 0)).toBeGreaterThan(data.length);
    const bytes = Buffer.concat(wire);
    const envelope = (bytes.readUInt32BE(0) & 0x7fffffff) >>> 0;
    expect(bytes.readUInt32BE(0) & 0x80000000).not.toBe(0);
    expect(bytes.readUInt32BE(4)).toBe(data.length);
    expect(bytes.subarray(8 + envelope).equals(data)).toBe(true);

    const pair2 = await socketPair();
    cleanups.push(pair2.close);
    const rx = new FrameChannel(pair2.b, 2 << 20);
    const got = new Promise<unknown>((r) => rx.once('message', r));
    // Cut anywhere: inside the header, the envelope and the attachment.
    for (const [from, to] of [[0, 3], [3, 10], [10, 8 + envelope + 5], [8 + envelope + 5, bytes.length]] as const) {
      pair2.a.write(bytes.subarray(from, to));
      await new Promise((r) => setImmediate(r));
    }
    const m = (await got) as { kind: string; data: Buffer; small: Buffer };
    expect([m.kind, m.data.equals(data), m.small]).toEqual(['message', true, Buffer.from([1, 2])]);
  });

  it('says a frame the kernel took whole is sent, a 64 KiB DATA included; one the socket holds is not, until its done', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    if (pair.a.connecting) await new Promise((r) => pair.a.once('connect', r));
    const tx = new FrameChannel(pair.a, 2 << 20);
    const data = { kind: 'message', message: { type: 5, id: 1, data: Buffer.alloc(64 * 1024) } };
    expect(tx.send(data)).toBe(true);
    // Nobody takes what the peer reads: the socket fills, and a frame stays with the sender.
    let held: Promise<Error | null | undefined> | undefined;
    for (let i = 0; i < 256 && !held; i++) {
      let done: (err?: Error | null) => void = () => undefined;
      const written = new Promise<Error | null | undefined>((r) => (done = r));
      if (!tx.send(data, done)) held = written;
    }
    expect(held).toBeDefined();
    pair.b.resume();
    expect(await held).toBeFalsy();
  });

  it('reads attachments that fit a block of its pool into a block given back, and larger ones into their own buffer', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const pool = new BlockPool(64 * 1024, 4);
    const rx = new FrameChannel(pair.b, 2 << 20, pool);
    const received: Buffer[] = [];
    rx.on('message', (m) => received.push((m as { data: Buffer }).data));
    const tx = new FrameChannel(pair.a, 2 << 20);
    const block = (fill: number, size = 64 * 1024): Buffer => Buffer.alloc(size, fill);
    tx.send({ data: block(1) });
    await expect.poll(() => received.length).toBe(1);
    const first = received[0] as Buffer;
    expect(first.equals(block(1))).toBe(true);
    pool.give(first);
    tx.send({ data: block(2) });
    tx.send({ data: block(3, 64 * 1024 + 1) });
    await expect.poll(() => received.length).toBe(3);
    expect([received[1]?.buffer === first.buffer, received[1]?.equals(block(2)), received[2]?.equals(block(3, 64 * 1024 + 1)), received[2]?.buffer === first.buffer]).toEqual([true, true, true, false]);
  });

  it('gives a sent attachment that lies in a block of its pool back once written, and leaves other attachments alone', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const pool = new BlockPool(64 * 1024 + 12, 4);
    const tx = new FrameChannel(pair.a, 2 << 20, pool);
    const block = pool.take(64 * 1024 + 12).fill(7);
    const done = new Promise<void>((r) => tx.send({ data: block.subarray(12) }, () => r()));
    tx.send({ data: Buffer.alloc(64 * 1024) });
    expect(pool.held).toBe(0); // given back by the write's callback, not when queued
    await done;
    await new Promise((r) => setImmediate(r));
    expect(pool.held).toBe(1);
  });

  it('frees a sent attachment of grown bytes (an X11 INCR read) once written, not when queued', async () => {
    const { pair, next } = await watchedReceiver();
    const tx = new FrameChannel(pair.a, 1 << 20);
    const store = new GrowableBytes(1 << 20);
    store.add(Buffer.alloc(100_000, 7));
    const data = store.take();
    const done = new Promise<void>((r) => tx.send({ data }, () => r()));
    expect(data.buffer.byteLength).toBe(100_000);
    await done;
    expect(data.buffer.byteLength).toBe(0);
    expect(await next).toEqual({ data: Buffer.alloc(100_000, 7) });
  });

  it('frees the attachments of a frame that does not unpack, read into an oversize buffer of its pool', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const pool = new BlockPool(64 * 1024, 4, { freeOversize: true });
    const given = vi.spyOn(pool, 'give');
    const rx = new FrameChannel(pair.b, 1 << 20, pool);
    const codes: string[] = [];
    rx.on('malformed', (err) => codes.push(err.code ?? ''));
    const { envelope } = pack({ data: Buffer.alloc(100_000) });
    const header = Buffer.alloc(8);
    header.writeUInt32BE((0x80000000 | envelope.length) >>> 0, 0);
    header.writeUInt32BE(100_001, 4);
    pair.a.write(Buffer.concat([header, envelope, Buffer.alloc(100_001)]));
    await expect.poll(() => codes).toEqual(['EBADMSG']);
    const [attached] = given.mock.calls.map(([bytes]) => bytes);
    expect([given.mock.calls.length, attached?.length, attached?.buffer.byteLength]).toEqual([1, 0, 0]);
  });

  it('drops a frame whose attachments do not match its envelope and goes on with the next', async () => {
    const { pair, codes, next } = await watchedReceiver();
    const { envelope } = pack({ data: Buffer.alloc(100_000) });
    for (const attached of [99_999, 100_001]) {
      const header = Buffer.alloc(8);
      header.writeUInt32BE((0x80000000 | envelope.length) >>> 0, 0);
      header.writeUInt32BE(attached, 4);
      pair.a.write(Buffer.concat([header, envelope, Buffer.alloc(attached)]));
    }
    new FrameChannel(pair.a, 1 << 20).send({ kind: 'hello' });
    expect(await next).toEqual({ kind: 'hello' });
    expect(codes).toEqual(['EBADMSG', 'EBADMSG']);
  });

  it('refuses a frame whose envelope and attachments together pass the bound, from its header, and closes', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const rx = new FrameChannel(pair.b, 1 << 20);
    const malformed = new Promise<NodeJS.ErrnoException>((r) => rx.once('malformed', r));
    const header = Buffer.alloc(8);
    header.writeUInt32BE((0x80000000 | 100) >>> 0, 0);
    header.writeUInt32BE((1 << 20) - 99, 4);
    pair.a.on('error', () => undefined);
    pair.a.write(header);
    expect((await malformed).code).toBe('EMSGSIZE');
    expect(rx.open).toBe(false);
  });
});

describe('a channel on an inherited socket descriptor', () => {
  it('carries large attachments read straight into their buffers, and the frames around them, intact and in order', async () => {
    const { socketPair: descriptors } = await import('../../../src/platform/libc.js');
    const { channelOnDescriptor } = await import('../../../src/session/channel.js');
    const [mine, theirs] = descriptors();
    const rx = channelOnDescriptor(mine, 64 << 20);
    const tx = channelOnDescriptor(theirs, 64 << 20);
    cleanups.push(() => (rx.close(), tx.close()));
    const big = (size: number, seed: number): Buffer => {
      const b = Buffer.allocUnsafe(size);
      for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
      return b;
    };
    const sent = [
      { kind: 'clip', data: big(3 << 20, 1) },
      { kind: 'small', n: 1 },
      { kind: 'clip', data: big((1 << 20) + 12_345, 2) },
      { kind: 'clip', data: big(70_000, 3) },
      { kind: 'small', n: 2 },
    ];
    const got: unknown[] = [];
    const all = new Promise<void>((r) => rx.on('message', (m) => got.push(m) === sent.length && r()));
    for (const m of sent) tx.send(m);
    await all;
    // Buffers compared with equals(): a deep comparison of megabytes byte by byte takes minutes.
    expect(got.map((m) => ({ ...(m as object), data: undefined }))).toEqual(sent.map((m) => ({ ...m, data: undefined })));
    got.forEach((m, i) => expect(Buffer.compare((m as { data?: Buffer }).data ?? Buffer.alloc(0), (sent[i] as { data?: Buffer }).data ?? Buffer.alloc(0))).toBe(0));
  });
});
