import { writeSync } from 'node:fs';
import { ChunkPort, CapabilitySet, toChunks, type Message } from '../../src/protocol/index.js';
import { helperPid, rssOf } from './proc.js';

/** The wire bytes of client messages (chunk port 1), or server ones (port 2), back to back. */
export function wire(messages: readonly Message[], port = ChunkPort.Client): Buffer {
  return Buffer.concat(messages.flatMap((m) => toChunks(m, { peerCaps: CapabilitySet.empty }, port)));
}

/** The resident memory of a daemon and its session helper together, in bytes. */
export function daemonAndHelperRss(daemonPid: number): number {
  const helper = helperPid(daemonPid);
  let total = rssOf(daemonPid);
  try {
    if (helper) total += rssOf(helper);
  } catch {
    // The helper just ended (killed and restarting): only the daemon counts now.
  }
  return total;
}

/** What a flood wrote: the bytes the kernel took, and whether the writer gave up blocked. */
export interface FloodResult {
  accepted: number;
  blocked: boolean;
}

/**
 * Writes `data` to a non-blocking descriptor (the pty master) as a host would, waiting while the
 * kernel refuses more. With `giveUpMs`, stops once nothing was taken for that long (the agent
 * stopped reading): `blocked` is then true and `accepted` tells how much got in. `sample` runs
 * every few milliseconds meanwhile (to watch memory).
 */
export async function flood(fd: number, data: Buffer, opts: { giveUpMs?: number; sample?: () => void } = {}): Promise<FloodResult> {
  let accepted = 0;
  let lastProgress = Date.now();
  let lastSample = 0;
  while (accepted < data.length) {
    let n = 0;
    try {
      n = writeSync(fd, data, accepted, Math.min(data.length - accepted, 1 << 20));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
    accepted += n;
    const now = Date.now();
    if (opts.sample && now - lastSample >= 20) {
      lastSample = now;
      opts.sample();
    }
    if (n > 0) {
      lastProgress = now;
      continue;
    }
    if (opts.giveUpMs !== undefined && now - lastProgress >= opts.giveUpMs) return { accepted, blocked: true };
    await new Promise((r) => setTimeout(r, 5));
  }
  return { accepted, blocked: false };
}
