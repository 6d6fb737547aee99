import fs from 'node:fs';
import { isRetry } from '../platform/errno.js';

/**
 * The most a port hands its consumers at once (its reused read buffer). A consumer pauses the port
 * only between deliveries, so what one delivery asks for must fit the headroom the agent's output
 * queue keeps above its half-way mark (4096 chunks): 64 KiB hold at most 2340 of the smallest
 * (28-byte) messages; 256 KiB, read while the host kept writing, held 7281 announcements asking
 * for an answer each, and the queue refused answers.
 */
export const DELIVERY_SIZE = 64 * 1024;

/**
 * Reads a non-blocking descriptor into `into` until it has nothing more or `into` is full (a tty
 * or a virtio port gives at most a few KiB per read(2)): the bytes read. A 0-byte read, or an error,
 * ends the reading; when it comes first it is the answer (0, or the error thrown), else the next
 * call meets it again.
 */
export function readAvailable(fd: number, into: Buffer): number {
  let filled = 0;
  while (filled < into.length) {
    let n: number;
    try {
      n = fs.readSync(fd, into, filled, into.length - filled, null);
    } catch (err) {
      if (isRetry(err) === 'intr') continue;
      if (filled > 0) return filled;
      throw err;
    }
    if (n === 0) return filled;
    filled += n;
  }
  return filled;
}
