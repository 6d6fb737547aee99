import { expect } from 'vitest';
import type { QgaClient } from './qga-client.js';

/** Polls guest-exec-status until the process has exited; its final status. */
export async function waitExit(client: QgaClient, pid: number): Promise<Record<string, unknown>> {
  for (;;) {
    const status = (await client.json({ execute: 'guest-exec-status', arguments: { pid } })).return as Record<string, unknown>;
    if (status.exited) return status;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a program through guest-exec (which must accept it) and returns its final status. */
export async function runGuestExec(client: QgaClient, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const started = await client.json({ execute: 'guest-exec', arguments: args });
  expect(started.error).toBeUndefined();
  return waitExit(client, (started.return as { pid: number }).pid);
}
