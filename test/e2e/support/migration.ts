import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { RunningGuest } from './qemu.js';

/** What one live migration took, as QEMU reports it. */
export interface MigrationTimes {
  /** When the destination resumed the guest (its RESUME event), ms since the epoch. */
  resumedAtMs: number;
  /** The source's total-time and downtime (query-migrate), in ms. */
  totalMs: number;
  downtimeMs: number;
}

/** A TCP port of 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Live-migrates `source` to `destination` (started with `-incoming unix:<socket>`): first tells
 * the SPICE client where the destination's SPICE server is (`client_migrate_info`, which makes
 * spice-gtk connect to it ahead), then `migrate` over the UNIX socket, and waits until the source
 * reports it completed and the destination resumed the guest.
 */
export async function migrate(source: RunningGuest, destination: RunningGuest, socket: string, spicePort: number, timeoutMs: number): Promise<MigrationTimes> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(socket)) {
    if (Date.now() > deadline) throw new Error(`the destination never listened on ${socket}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await source.qmp('client_migrate_info', { protocol: 'spice', hostname: '127.0.0.1', port: spicePort });
  await source.qmp('migrate', { uri: `unix:${socket}` });
  for (;;) {
    const info = (await source.qmp('query-migrate')) as { status?: string; 'error-desc'?: string; 'total-time'?: number; downtime?: number };
    if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`migration ${info.status}: ${info['error-desc'] ?? ''}`);
    if (info.status === 'completed') {
      const resumed = await destination.qmpEvent('RESUME', {}, Math.max(deadline - Date.now(), 1000));
      return { resumedAtMs: resumed.atMs, totalMs: info['total-time'] ?? NaN, downtimeMs: info.downtime ?? NaN };
    }
    if (Date.now() > deadline) throw new Error(`migration still ${info.status} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
