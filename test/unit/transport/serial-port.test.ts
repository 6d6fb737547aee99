import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPortPort } from '../../../src/transport/serial-port.js';
import { ALL_BYTES, collect, delay, expectLentReads, nextClose, pattern, ptyFixture } from './helpers.js';

const MiB = 1 << 20;

describe('SerialPortPort on a pty', () => {
  const fixture = ptyFixture((slavePath) => new SerialPortPort(slavePath));
  const openBoth = fixture.openBoth;
  afterEach(fixture.cleanup);

  it('delivers every byte value unchanged through the pty, both ways, without echo', async () => {
    const { host, daemon } = await openBoth();
    const atDaemon = collect(daemon);
    const atHost = collect(host);
    await host.write(ALL_BYTES);
    expect(await atDaemon.until(256)).toEqual(ALL_BYTES);
    await delay(50);
    expect(atHost.bytes().length).toBe(0); // no echo, not even of \r \n ^C ^S ^Q ^D
    await daemon.write(ALL_BYTES);
    expect(await atHost.until(256)).toEqual(ALL_BYTES); // no \n -> \r\n
    await delay(50);
    expect(atHost.bytes().length).toBe(256);
  });

  it('hands on everything the pty holds at one readiness in one delivery, though n_tty gives at most 4 KiB per read', async () => {
    const { daemon, pty } = await openBoth();
    daemon.pause();
    // Fill the pty while the port reads nothing: n_tty's 4 KiB buffer plus the flip buffer behind it.
    let held = 0;
    for (;;) {
      try {
        held += fs.writeSync(pty.masterFd, pattern(1024, held));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('EAGAIN');
        break;
      }
    }
    expect(held).toBeGreaterThan(4096);
    const deliveries: Buffer[] = [];
    daemon.on('data', (b: Buffer) => deliveries.push(b));
    daemon.resume();
    await expect.poll(() => deliveries.length, { timeout: 5000 }).toBeGreaterThan(0);
    await delay(100);
    expect(deliveries.map((b) => b.length)).toEqual([held]);
  });

  it('with lendReads, hands on views of its one read buffer, each valid while its event is handled', async () => {
    expect(new SerialPortPort('/dev/null').lendsReads).toBe(false);
    await expectLentReads((slavePath) => new SerialPortPort(slavePath, { lendReads: true }), 7);
  });

  it('carries 1 MiB each way at the same time intact', async () => {
    const { host, daemon } = await openBoth();
    const up = pattern(MiB, 5);
    const down = pattern(MiB, 6);
    const atDaemon = collect(daemon);
    const atHost = collect(host);
    await Promise.all([host.write(down), daemon.write(up)]);
    expect((await atDaemon.until(MiB)).equals(down)).toBe(true);
    expect((await atHost.until(MiB)).equals(up)).toBe(true);
  });

  it('rejects a second opener of the same tty with EBUSY (serialport locks it)', async () => {
    const { daemon } = await openBoth();
    await expect(daemon.open()).rejects.toMatchObject({ code: 'EBUSY' });
    const other = new SerialPortPort(daemon.name);
    await expect(other.open()).rejects.toMatchObject({ code: 'EBUSY' });
  });

  it('can be closed and reopened without the host end noticing', async () => {
    const { host, daemon } = await openBoth();
    let hostCloses = 0;
    host.on('close', () => hostCloses++);
    await daemon.close();
    await daemon.open();
    const atHost = collect(host);
    await daemon.write(Buffer.from('again'));
    expect((await atHost.until(5)).toString()).toBe('again');
    expect(hostCloses).toBe(0);
  });

  it('rejects writes when not open, and does not emit close on its own close()', async () => {
    const { daemon } = await openBoth();
    let closes = 0;
    daemon.on('close', () => closes++);
    await daemon.close();
    await expect(daemon.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    await delay(20);
    expect(closes).toBe(0);
  });

  it('closes with an error, promptly and without spinning, when the master goes away', async () => {
    const { host, daemon, pty } = await openBoth();
    await host.close();
    const closed = nextClose(daemon);
    const cpu = process.cpuUsage();
    pty.close();
    const err = await closed;
    expect(err).toBeInstanceOf(Error);
    expect(daemon.isOpen).toBe(false);
    await delay(200);
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(100);
  });
});

describe('SerialPortPort.open', () => {
  it('rejects with an ENOENT-coded error for a missing device', async () => {
    const port = new SerialPortPort('/dev/nonexistent-tty');
    await expect(port.open()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(port.isOpen).toBe(false);
  });
});
