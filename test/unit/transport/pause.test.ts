import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CharDevicePort } from '../../../src/transport/chardev-port.js';
import { createMemoryPortPair } from '../../../src/transport/memory-port.js';
import type { Port } from '../../../src/transport/port.js';
import { SerialPortPort } from '../../../src/transport/serial-port.js';
import { collect, delay, pattern, ptyFixture } from './helpers.js';

const KiB = 1 << 10;
const MiB = 1 << 20;

/** A host on another thread writing all of `data` to the non-blocking `fd` as fast as the kernel takes it. */
function hostWriter(fd: number, data: Buffer): Worker {
  const source = `
    const fs = require('node:fs');
    const { fd, data } = require('node:worker_threads').workerData;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let off = 0; off < data.length; ) {
      try {
        off += fs.writeSync(fd, data, off, data.length - off);
      } catch (err) {
        if (err.code !== 'EAGAIN') throw err;
        Atomics.wait(nap, 0, 0, 1);
      }
    }`;
  return new Worker(source, { eval: true, workerData: { fd, data } });
}

/** Writes `data` to a non-blocking fd until the kernel refuses more (EAGAIN); returns the bytes it took. */
function fill(fd: number, data: Buffer): number {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += fs.writeSync(fd, data, offset, data.length - offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
  }
  return offset;
}

for (const [kind, make] of [
  ['CharDevicePort', (path: string): Port => new CharDevicePort(path)],
  ['SerialPortPort', (path: string): Port => new SerialPortPort(path)],
] as const) {
  describe(`${kind} paused on a pty`, () => {
    const fixture = ptyFixture(make);
    afterEach(fixture.cleanup);

    it('reads nothing while paused, so the host is refused once the kernel buffer is full; resume delivers it all in order', async () => {
      const { daemon, pty } = await fixture.openBoth();
      const got = collect(daemon);
      daemon.pause();
      expect(daemon.isPaused).toBe(true);
      const data = pattern(4 * MiB, 7);
      let taken = fill(pty.masterFd, data);
      await delay(100);
      taken += fill(pty.masterFd, data.subarray(taken));
      expect(taken).toBeLessThan(MiB); // the host is blocked: only the kernel's buffer was accepted
      expect(got.bytes().length).toBe(0);
      daemon.resume();
      expect(daemon.isPaused).toBe(false);
      expect((await got.until(taken)).equals(data.subarray(0, taken))).toBe(true);
    });

    it('delivers at most 64 KiB at a time while the host keeps writing, so a pause from a data handler holds the rest in the kernel', async () => {
      const { daemon, pty } = await fixture.openBoth();
      const data = pattern(4 * MiB, 11);
      const sizes: number[] = [];
      let whilePaused = 0;
      daemon.on('data', (chunk) => {
        if (daemon.isPaused) whilePaused++;
        sizes.push(chunk.length);
        daemon.pause(); // the consumer falls behind at once, as the agent's output queue does
        setImmediate(() => daemon.resume());
      });
      const got = collect(daemon);
      const writer = hostWriter(pty.masterFd, data);
      try {
        expect((await got.until(data.length, 30_000)).equals(data)).toBe(true);
      } finally {
        await writer.terminate();
      }
      expect(whilePaused).toBe(0);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * KiB);
    });

    it('stays paused across a reopen, and still writes while paused', async () => {
      const { host, daemon, pty } = await fixture.openBoth();
      const got = collect(daemon);
      const atHost = collect(host);
      daemon.pause();
      await daemon.write(Buffer.from('out'));
      expect((await atHost.until(3)).toString()).toBe('out');
      await daemon.close();
      await daemon.open();
      fill(pty.masterFd, Buffer.from('in'));
      await delay(100);
      expect(got.bytes().length).toBe(0);
      daemon.resume();
      expect((await got.until(2)).toString()).toBe('in');
    });
  });
}

describe('MemoryPort paused', () => {
  it('holds what the peer writes, and the writer waits until resume delivers it', async () => {
    const [a, b] = createMemoryPortPair();
    await a.open();
    await b.open();
    const got = collect(b);
    b.pause();
    let written = false;
    const write = a.write(Buffer.from('held')).then(() => (written = true));
    await delay(20);
    expect([written, got.bytes().length]).toEqual([false, 0]);
    b.resume();
    await write;
    expect(got.bytes().toString()).toBe('held');
  });

  it('drops held bytes when it closes, releasing the writer', async () => {
    const [a, b] = createMemoryPortPair();
    await a.open();
    await b.open();
    b.pause();
    const write = a.write(Buffer.from('lost'));
    await b.close();
    await write;
    await b.open();
    const got = collect(b);
    b.resume();
    await delay(20);
    expect(got.bytes().length).toBe(0);
  });
});
