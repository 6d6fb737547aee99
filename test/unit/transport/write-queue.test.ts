import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openPtyPair, type PtyPair } from '../../../src/transport/pty.js';
import { WRITE_BYTES, WriteQueue } from '../../../src/transport/write-queue.js';
import { pattern } from './helpers.js';

/** Everything the master side of `pty` has to read now. */
function drain(pty: PtyPair): Buffer {
  const out: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    try {
      const n = fs.readSync(pty.masterFd, buf);
      if (n === 0) break;
      out.push(Buffer.from(buf.subarray(0, n)));
    } catch {
      break;
    }
  }
  return Buffer.concat(out);
}

/** `data` cut into buffers of `size` bytes. */
function cut(data: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let o = 0; o < data.length; o += size) pieces.push(data.subarray(o, o + size));
  return pieces;
}

describe('the write queue of a non-blocking descriptor (a real pty)', () => {
  const ptys: PtyPair[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const p of ptys.splice(0)) p.close();
  });

  /** A pty and the writev(2) calls made on its slave: how many buffers and bytes each was given. */
  function watched(): { pty: PtyPair; calls: { buffers: number; bytes: number }[] } {
    const pty = openPtyPair();
    ptys.push(pty);
    const calls: { buffers: number; bytes: number }[] = [];
    const { writevSync } = fs;
    vi.spyOn(fs, 'writevSync').mockImplementation(((fd: number, iov: NodeJS.ArrayBufferView[]) => {
      if (fd === pty.slaveFd) calls.push({ buffers: iov.length, bytes: iov.reduce((n, b) => n + b.byteLength, 0) });
      return writevSync(fd, iov);
    }) as typeof fs.writevSync);
    return { pty, calls };
  }

  it('writes one message of many buffers with one writev when the port takes it all', async () => {
    const { pty, calls } = watched();
    const q = new WriteQueue();
    const data = pattern(4096, 1);
    const written = q.add(cut(data, 256));
    expect(q.flush(pty.slaveFd)).toBe('done');
    await written;
    expect(calls).toEqual([{ buffers: 16, bytes: 4096 }]);
    expect(drain(pty).equals(data)).toBe(true);
  });

  it('gives a writev no more buffers than WRITE_BYTES of them, however many wait, and loses no byte', async () => {
    const { pty, calls } = watched();
    const q = new WriteQueue();
    const data = pattern(1 << 20, 2);
    let settled = false;
    const written = q.add(cut(data, 2056)).then(() => (settled = true));
    const got: Buffer[] = [];
    for (let i = 0; i < 10_000 && q.flush(pty.slaveFd) !== 'done'; i++) got.push(drain(pty));
    got.push(drain(pty));
    await written;
    expect(settled).toBe(true);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    // A pty takes a few KiB at a time: a thousand buffers handed to each call would be refused but paid for.
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) expect(c.bytes).toBeLessThan(WRITE_BYTES + 2056);
    // Beside the unwritten rest of a buffer the last call cut.
    for (const c of calls) expect(c.buffers).toBeLessThanOrEqual(Math.ceil(WRITE_BYTES / 2056) + 1);
  });
});
