import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CharDevicePort } from '../../../src/transport/chardev-port.js';
import { openPtyPair } from '../../../src/transport/pty.js';

import { ALL_BYTES, collect, delay, expectLentReads, nextClose, pattern, ptyFixture } from './helpers.js';

const MiB = 1 << 20;

describe('CharDevicePort on a pty', () => {
  const fixture = ptyFixture((slavePath) => new CharDevicePort(slavePath));
  const openBoth = fixture.openBoth;
  afterEach(fixture.cleanup);

  it('delivers every byte value unchanged in both directions', async () => {
    const { host, daemon } = await openBoth();
    const atDaemon = collect(daemon);
    const atHost = collect(host);
    await host.write(ALL_BYTES);
    expect(await atDaemon.until(256)).toEqual(ALL_BYTES);
    await daemon.write(ALL_BYTES);
    expect(await atHost.until(256)).toEqual(ALL_BYTES);
  });

  it('carries 1 MiB each way at the same time intact, through EAGAIN and partial writes', async () => {
    const { host, daemon } = await openBoth();
    const up = pattern(MiB, 1);
    const down = pattern(MiB, 2);
    const atDaemon = collect(daemon);
    const atHost = collect(host);
    await Promise.all([host.write(down), daemon.write(up)]);
    expect((await atDaemon.until(MiB)).equals(down)).toBe(true);
    expect((await atHost.until(MiB)).equals(up)).toBe(true);
  });

  it('keeps the order of many small writes', async () => {
    const { host, daemon } = await openBoth();
    const atHost = collect(host);
    const parts = Array.from({ length: 500 }, (_, i) => Buffer.from(`<${i}>`));
    await Promise.all(parts.map((p) => daemon.write(p)));
    const all = Buffer.concat(parts);
    expect((await atHost.until(all.length)).toString()).toBe(all.toString());
  });

  it('rejects a second open() of the same port with EBUSY', async () => {
    const { daemon } = await openBoth();
    await expect(daemon.open()).rejects.toMatchObject({ code: 'EBUSY' });
  });

  it('rejects writes when not open, and does not emit close on its own close()', async () => {
    const { daemon } = await openBoth();
    let closes = 0;
    daemon.on('close', () => closes++);
    await daemon.close();
    expect(daemon.isOpen).toBe(false);
    await expect(daemon.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    await delay(20);
    expect(closes).toBe(0);
  });

  it('rejects pending writes when closed', async () => {
    const { host, daemon } = await openBoth();
    await daemon.close(); // nobody reads the slave now: a big write stalls
    const pending = expect(host.write(pattern(MiB, 3))).rejects.toMatchObject({ code: 'ECANCELED' });
    await delay(50);
    await host.close();
    await pending;
  });

  it('reopens: a port made from an fd leaves the fd open and can start again', async () => {
    const { host, daemon, pty } = await openBoth();
    await host.close();
    expect(fs.fstatSync(pty.masterFd).isCharacterDevice()).toBe(true);
    await host.open();
    await daemon.close();
    await daemon.open();
    const atHost = collect(host);
    await daemon.write(Buffer.from('back'));
    expect((await atHost.until(4)).toString()).toBe('back');
  });

  it('emits data in fresh buffers that later reads do not overwrite', async () => {
    const { host, daemon } = await openBoth();
    const first = new Promise<Buffer>((resolve) => daemon.once('data', resolve));
    await host.write(Buffer.from('first'));
    const kept = await first;
    const atDaemon = collect(daemon);
    await host.write(Buffer.from('SECOND'));
    await atDaemon.until(6);
    expect(kept.toString()).toBe('first');
  });

  it('with lendReads, emits views of its one read buffer, valid while the event is handled', async () => {
    await expectLentReads((slavePath) => new CharDevicePort(slavePath, slavePath, { lendReads: true }), 5);
  });

  it('closes with EIO when its tty is hung up (poll reports an error condition)', async () => {
    const { host, daemon, pty } = await openBoth();
    await host.close();
    const closed = nextClose(daemon);
    pty.close(); // master and held slave closed: the daemon's slave is hung up
    expect(await closed).toMatchObject({ code: 'EIO' });
    expect(daemon.isOpen).toBe(false);
    await expect(daemon.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
  });
});

describe('CharDevicePort on a pty master whose slaves are all gone', () => {
  it('closes with EIO', async () => {
    const pty = openPtyPair();
    const host = CharDevicePort.fromFd(pty.masterFd, 'pty master');
    await host.open();
    const closed = nextClose(host);
    fs.closeSync(pty.slaveFd); // the only slave descriptor
    expect(await closed).toMatchObject({ code: 'EIO' });
    expect(host.isOpen).toBe(false);
    await host.close();
    fs.closeSync(pty.masterFd);
  });
});

describe('CharDevicePort on a device whose reads return 0 bytes (/dev/null, like an absent host)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stays open, retries reads with a growing back-off, and accepts writes', async () => {
    const reads = vi.spyOn(fs, 'readSync');
    const port = new CharDevicePort('/dev/null');
    let closed = false;
    port.on('close', () => (closed = true));
    await port.open();
    try {
      await port.write(pattern(256 * 1024, 4));
      await delay(1500);
      // 0 ms, then 100, 200, 400, 800 ms back-off: about 5 reads, not thousands.
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(8);
      expect(port.isOpen).toBe(true);
      expect(closed).toBe(false);
      await port.write(Buffer.from('still writable'));
    } finally {
      await port.close();
    }
    const after = reads.mock.calls.length;
    await delay(300);
    expect(reads.mock.calls.length).toBe(after); // close() stopped the retries
  });
});

describe('CharDevicePort when poll keeps waking it without progress (host absent: HUP)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('backs off instead of spinning when reads and writes keep failing with EAGAIN', async () => {
    // /dev/null cannot be polled, so every wait "wakes" at once, like a persistent HUP would.
    // Only calls on the port's own descriptor fail: the test runner uses fs too.
    const { open, readSync, writevSync } = fs;
    let portFd = -1;
    vi.spyOn(fs, 'open').mockImplementation(((path: string, flags: number, cb: (e: Error | null, fd: number) => void) =>
      open(path, flags, (err, fd) => cb(err, (portFd = fd)))) as never);
    const eagain = (real: (...a: never[]) => unknown) =>
      ((...args: never[]) => {
        if (args[0] !== portFd) return real(...args);
        throw Object.assign(new Error('EAGAIN: resource temporarily unavailable'), { code: 'EAGAIN' });
      }) as never;
    const reads = vi.spyOn(fs, 'readSync').mockImplementation(eagain(readSync));
    const writes = vi.spyOn(fs, 'writevSync').mockImplementation(eagain(writevSync));
    const port = new CharDevicePort('/dev/null');
    await port.open();
    const pending = port.write(Buffer.from('queued'));
    await delay(1500);
    expect(reads.mock.calls.length).toBeLessThanOrEqual(8);
    expect(writes.mock.calls.length).toBeLessThanOrEqual(8);
    expect(writes.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(port.isOpen).toBe(true);
    const rejected = expect(pending).rejects.toMatchObject({ code: 'ECANCELED' });
    await port.close();
    await rejected;
  });
});

describe('CharDevicePort.open', () => {
  it('rejects with the system error when the device cannot be opened', async () => {
    const port = new CharDevicePort('/nonexistent/vport9p9');
    await expect(port.open()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(port.isOpen).toBe(false);
  });
});

describe('CharDevicePort while the host side is absent (a FIFO without writer: reads return 0 bytes)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** A port on the read end of a new FIFO that no host has opened yet; its path. */
  async function fifoPort(): Promise<{ port: CharDevicePort; path: string }> {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/fifo-`);
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const path = `${dir}/port`;
    execFileSync('mkfifo', [path]);
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    cleanup.push(() => fs.closeSync(fd));
    const port = CharDevicePort.fromFd(fd, 'fifo');
    cleanup.push(() => port.close());
    await port.open();
    return { port, path };
  }

  it('stays open while the host is absent and reads as soon as it comes, however long it was gone', async () => {
    const { port, path } = await fifoPort();
    const got = collect(port);
    await delay(500); // absent long enough for a back-off to have grown past this
    const host = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    cleanup.push(() => fs.closeSync(host));
    fs.writeSync(host, 'hello');
    expect((await got.until(5)).toString()).toBe('hello');
    expect(port.isOpen).toBe(true);
  });

  it('closes with ECONNRESET when the host closes its side after it spoke, so that it is reopened', async () => {
    const { port, path } = await fifoPort();
    const got = collect(port);
    const host = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(host, 'bye');
    await got.until(3);
    const closed = nextClose(port);
    fs.closeSync(host);
    expect(await closed).toMatchObject({ code: 'ECONNRESET' });
    expect(port.isOpen).toBe(false);
  });
});
