import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPortFor } from '../../../src/transport/open-port.js';
import { UnixSocketPort } from '../../../src/transport/unix-socket-port.js';
import { ALL_BYTES, collect, delay, nextClose, pattern } from './helpers.js';

const MiB = 1 << 20;

/** A host listening on a UNIX socket in a temporary folder, and what it accepted. */
interface Host {
  readonly path: string;
  readonly server: Server;
  accepted(): Promise<Socket>;
}

describe('UnixSocketPort', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const listen = async (): Promise<Host> => {
    const dir = mkdtempSync(join(tmpdir(), 'unix-port-'));
    const path = join(dir, 'agent.sock');
    const sockets: Socket[] = [];
    const waiting: ((s: Socket) => void)[] = [];
    const server = createServer((s) => {
      const w = waiting.shift();
      if (w) w(s);
      else sockets.push(s);
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())), () => rmSync(dir, { recursive: true, force: true }));
    return {
      path,
      server,
      accepted: () => {
        const s = sockets.shift();
        return s ? Promise.resolve(s) : new Promise((resolve) => waiting.push(resolve));
      },
    };
  };

  const openPort = async (host: Host, options?: { lendReads?: boolean }): Promise<{ port: UnixSocketPort; peer: Socket }> => {
    const port = new UnixSocketPort(host.path, options);
    const peerP = host.accepted();
    await port.open();
    const peer = await peerP;
    cleanups.push(() => void peer.destroy(), () => port.close());
    return { port, peer };
  };

  it.runIf(process.getuid?.() === 0)('as root, refuses a socket in a folder others may write (EACCES), where a user could have put it', async () => {
    const host = await listen();
    chmodSync(join(host.path, '..'), 0o777);
    await expect(new UnixSocketPort(host.path).open()).rejects.toMatchObject({ code: 'EACCES' });
  });

  it('is what openPortFor gives for a socket path', async () => {
    const host = await listen();
    expect(openPortFor(host.path)).toBeInstanceOf(UnixSocketPort);
    expect(openPortFor(host.path).lendsReads).toBe(false);
    expect(openPortFor(host.path, { lendReads: true }).lendsReads).toBe(true);
  });

  it('carries every byte value, and 1 MiB each way at once, intact', async () => {
    const host = await listen();
    const { port, peer } = await openPort(host);
    const atPort = collect(port);
    peer.write(ALL_BYTES);
    expect(await atPort.until(256)).toEqual(ALL_BYTES);
    const up = pattern(MiB, 1);
    const down = pattern(MiB, 2);
    const atPeer: Buffer[] = [];
    peer.on('data', (b: Buffer) => atPeer.push(b));
    peer.write(down);
    await port.writev([up.subarray(0, 1000), up.subarray(1000)]);
    expect((await atPort.until(256 + MiB)).subarray(256).equals(down)).toBe(true);
    while (Buffer.concat(atPeer).length < MiB) await delay(10);
    expect(Buffer.concat(atPeer).equals(up)).toBe(true);
  });

  it('hands on copies each consumer may keep, or with lendReads its one read buffer, whose views are valid during the event', async () => {
    const host = await listen();
    for (const lendReads of [false, true]) {
      const { port, peer } = await openPort(host, { lendReads });
      expect(port.lendsReads).toBe(lendReads);
      const chunks: Buffer[] = [];
      const copies: Buffer[] = [];
      port.on('data', (chunk) => {
        chunks.push(chunk);
        copies.push(Buffer.from(chunk));
      });
      const sent = pattern(MiB, 4);
      peer.write(sent);
      while (copies.reduce((n, c) => n + c.length, 0) < MiB) await delay(10);
      expect(Buffer.concat(copies).equals(sent)).toBe(true);
      expect(chunks.length).toBeGreaterThan(1);
      // Copies stay as they came; lent chunks are views of the one buffer every read goes into.
      if (lendReads) expect(new Set(chunks.map((c) => c.buffer)).size).toBe(1);
      else expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    }
  });

  it('emits nothing while paused, and what waited once resumed', async () => {
    const host = await listen();
    const { port, peer } = await openPort(host);
    const atPort = collect(port);
    port.pause();
    peer.write(pattern(4 * MiB, 3));
    await delay(200);
    expect(atPort.bytes().length).toBe(0);
    port.resume();
    expect((await atPort.until(4 * MiB)).equals(pattern(4 * MiB, 3))).toBe(true);
  });

  it('ends with ECONNRESET when the host closes its side', async () => {
    const host = await listen();
    const { port, peer } = await openPort(host);
    const closed = nextClose(port);
    peer.end();
    expect((await closed) as NodeJS.ErrnoException).toMatchObject({ code: 'ECONNRESET' });
    expect(port.isOpen).toBe(false);
  });

  it('fails to open with ENOENT where no socket is, and writes after close() reject with EBADF', async () => {
    const port = new UnixSocketPort(join(tmpdir(), `absent-${process.pid}.sock`));
    await expect(port.open()).rejects.toMatchObject({ code: 'ENOENT' });
    const host = await listen();
    const { port: open } = await openPort(host);
    await open.close();
    await expect(open.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
  });
});
