import fs from 'node:fs';
import { isatty } from 'node:tty';
import { describe, expect, it } from 'vitest';
import { openPtyPair } from '../../../src/transport/pty.js';
import { ALL_BYTES, delay } from './helpers.js';

/** Reads whatever is available on a non-blocking fd. */
function drain(fd: number): Buffer {
  const out: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (;;) {
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      out.push(Buffer.from(buf.subarray(0, n)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
  }
  return Buffer.concat(out);
}

describe('openPtyPair', () => {
  it('gives a master fd and an existing slave tty path', () => {
    const pty = openPtyPair();
    try {
      expect(pty.slavePath).toMatch(/^\/dev\/pts\/\d+$/);
      expect(fs.statSync(pty.slavePath).isCharacterDevice()).toBe(true);
      expect(isatty(pty.slaveFd)).toBe(true);
      expect(isatty(pty.masterFd)).toBe(true);
    } finally {
      pty.close();
    }
  });

  it('puts the slave in raw mode: every byte value passes unchanged and nothing echoes', async () => {
    const pty = openPtyPair();
    try {
      fs.writeSync(pty.masterFd, ALL_BYTES);
      await delay(20);
      expect(drain(pty.slaveFd)).toEqual(ALL_BYTES);
      expect(drain(pty.masterFd).length).toBe(0); // no echo
      fs.writeSync(pty.slaveFd, ALL_BYTES);
      await delay(20);
      expect(drain(pty.masterFd)).toEqual(ALL_BYTES); // no ONLCR
    } finally {
      pty.close();
    }
  });

  it('keeps the master free of hang-ups while other slave openers come and go', async () => {
    const pty = openPtyPair();
    try {
      const other = fs.openSync(pty.slavePath, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
      fs.closeSync(other);
      fs.writeSync(pty.slaveFd, Buffer.from('still here'));
      await delay(20);
      expect(drain(pty.masterFd).toString()).toBe('still here');
    } finally {
      pty.close();
    }
  });

  it('closes both descriptors, once', () => {
    const pty = openPtyPair();
    pty.close();
    pty.close();
    expect(() => fs.fstatSync(pty.masterFd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => fs.fstatSync(pty.slaveFd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
