import { CharDevicePort } from '../../../src/transport/chardev-port.js';
import { expect } from 'vitest';
import { openPtyPair, type PtyPair } from '../../../src/transport/pty.js';
import type { Port } from '../../../src/transport/port.js';

/** Every byte value once, 0..255. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** `size` bytes of a deterministic pattern that differs per `seed`. */
export function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** Records what a port receives; `until(n)` waits for `n` bytes in total. */
export function collect(port: Port): { bytes(): Buffer; until(n: number, timeoutMs?: number): Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let total = 0;
  let waiter: (() => void) | undefined;
  port.on('data', (chunk) => {
    chunks.push(chunk);
    total += chunk.length;
    waiter?.();
  });
  const bytes = (): Buffer => Buffer.concat(chunks);
  return {
    bytes,
    until(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${total} of ${n} bytes`)), timeoutMs);
        waiter = () => {
          if (total < n) return;
          clearTimeout(timer);
          waiter = undefined;
          resolve(bytes());
        };
        waiter();
      });
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Opens `daemon` (made with lendReads) on a fresh pty's slave, writes 256 KiB from the master and
 * checks what a lending port promises: every byte arrives, in several events, each a view of the
 * port's one read buffer that is valid while its event is handled.
 */
export async function expectLentReads(makeDaemon: (slavePath: string) => Port, seed: number): Promise<void> {
  const pty = openPtyPair();
  const host = CharDevicePort.fromFd(pty.masterFd, 'pty master');
  const daemon = makeDaemon(pty.slavePath);
  try {
    await host.open();
    await daemon.open();
    expect(daemon.lendsReads).toBe(true);
    const chunks: Buffer[] = [];
    const copies: Buffer[] = [];
    daemon.on('data', (chunk) => {
      chunks.push(chunk);
      copies.push(Buffer.from(chunk));
    });
    const sent = pattern(256 * 1024, seed);
    await host.write(sent);
    while (copies.reduce((n, c) => n + c.length, 0) < sent.length) await delay(10);
    expect(Buffer.concat(copies).equals(sent)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(1);
  } finally {
    await daemon.close();
    await host.close();
    pty.close();
  }
}

/** Resolves with the argument of the port's next `close` event. */
export function nextClose(port: Port): Promise<Error | undefined> {
  return new Promise((resolve) => port.once('close', resolve));
}

/**
 * A pty with its host end (the master, as a CharDevicePort) and a daemon end made by `makeDaemon`
 * from the slave path; `cleanup()` closes everything opened since the last call.
 */
export function ptyFixture<D extends Port>(makeDaemon: (slavePath: string) => D): {
  openBoth: () => Promise<{ host: CharDevicePort; daemon: D; pty: PtyPair }>;
  cleanup: () => Promise<void>;
} {
  const opened: { ports: Port[]; pty: PtyPair }[] = [];
  return {
    async openBoth() {
      const pty = openPtyPair();
      const host = CharDevicePort.fromFd(pty.masterFd, 'pty master');
      const daemon = makeDaemon(pty.slavePath);
      opened.push({ ports: [host, daemon], pty });
      await host.open();
      await daemon.open();
      return { host, daemon, pty };
    },
    async cleanup() {
      for (const { ports, pty } of opened.splice(0)) {
        for (const p of ports) await p.close();
        pty.close();
      }
    },
  };
}
