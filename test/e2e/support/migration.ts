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
 * Migrates `source` to `destination` (started with `-incoming unix:<socket>`): first tells the
 * SPICE client where the destination's SPICE server is (`client_migrate_info`, which makes
 * spice-gtk connect to it ahead), then `migrate` over the UNIX socket, and waits until the source
 * reports it completed and the destination resumed the guest.
 *
 * Under TCG (`source.accel`) the source is stopped first and the destination continued once it
 * has the guest: QEMU 7.2's TCG lost guest writes made while RAM was copied live (the guest's
 * kernel hit BUGs right after the switch-over: list corruption in the page allocator, a call
 * through NULL from the timer interrupt; in 1 of 6 live migrations on 2026-12-06, in 2 of 2 on a
 * loaded host later that day, and in none of the stopped ones). For the agent it is the same
 * migration: its guest stops in the middle of the stream and resumes on the destination, the
 * client still sending to the source meanwhile; only the downtime is the whole copy.
 */
export async function migrate(source: RunningGuest, destination: RunningGuest, socket: string, spicePort: number, timeoutMs: number): Promise<MigrationTimes> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(socket)) {
    if (Date.now() > deadline) throw new Error(`the destination never listened on ${socket}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await source.qmp('client_migrate_info', { protocol: 'spice', hostname: '127.0.0.1', port: spicePort });
  const stopFirst = source.accel === 'tcg';
  if (stopFirst) await source.qmp('stop');
  await source.qmp('migrate', { uri: `unix:${socket}` });
  for (;;) {
    const info = (await source.qmp('query-migrate')) as { status?: string; 'error-desc'?: string; 'total-time'?: number; downtime?: number };
    if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`migration ${info.status}: ${info['error-desc'] ?? ''}`);
    if (info.status === 'completed') {
      const resuming = destination.qmpEvent('RESUME', {}, Math.max(deadline - Date.now(), 1000));
      // A guest stopped on the source arrives stopped: it runs once the destination has all of it.
      if (stopFirst) await continueWhenLoaded(destination, deadline);
      const resumed = await resuming;
      return { resumedAtMs: resumed.atMs, totalMs: info['total-time'] ?? NaN, downtimeMs: info.downtime ?? NaN };
    }
    if (Date.now() > deadline) throw new Error(`migration still ${info.status} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Continues `guest` (a migration's destination) once its incoming migration is complete and the guest paused there. */
async function continueWhenLoaded(guest: RunningGuest, deadline: number): Promise<void> {
  for (;;) {
    const { status } = (await guest.qmp('query-status')) as { status?: string };
    if (status === 'paused') return void (await guest.qmp('cont'));
    if (Date.now() > deadline) throw new Error(`the destination is still ${status ?? 'unknown'} after the migration`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
