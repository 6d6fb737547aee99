import type { FileHandle } from 'node:fs/promises';
import { ErrnoError } from '../../platform/errno.js';

/** Most DATA messages written with one pwritev(2). */
export const MAX_BATCH_WRITES = 64;
/** Most bytes written with one pwritev(2): a batch of more than one message stays within it. */
export const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Consecutive DATA of one transfer that wait for the transfer's previous file operation: written
 * together, at `position`, with one pwritev(2) once their turn comes, instead of a pwrite (and a
 * round trip through libuv's thread pool) each. A batch takes messages until its write starts or
 * it reaches {@link MAX_BATCH_WRITES} messages or {@link MAX_BATCH_BYTES} bytes.
 */
export class WriteBatch {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private started = false;

  /** A batch whose first byte goes to `position` in the file. */
  constructor(readonly position: number) {}

  /** DATA messages in the batch. */
  get writes(): number {
    return this.parts.length;
  }

  /** Bytes in the batch. */
  get bytes(): number {
    return this.size;
  }

  /** Adds the next DATA's bytes (they follow the batch's in the file); false once the write started or the batch is full. */
  add(data: Uint8Array): boolean {
    const empty = this.parts.length === 0;
    if (!empty && (this.started || this.parts.length >= MAX_BATCH_WRITES || this.size + data.length > MAX_BATCH_BYTES)) return false;
    this.parts.push(data);
    this.size += data.length;
    return true;
  }

  /** Writes the batch into `handle`; nothing joins it from now on. */
  write(handle: FileHandle): Promise<void> {
    this.started = true;
    return writeAllAt(handle, this.parts, this.position);
  }
}

/** Writes `parts` one after the other at `position` with pwritev(2), again from where a short write stopped. */
export async function writeAllAt(handle: FileHandle, parts: readonly Uint8Array[], position: number): Promise<void> {
  let rest = parts.filter((p) => p.length > 0);
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    if (bytesWritten === 0) throw new ErrnoError('EIO', `pwritev at ${at} wrote nothing`);
    at += bytesWritten;
    rest = after(rest, bytesWritten);
  }
}

/** What of `parts` is left once their first `n` bytes were written. */
function after(parts: readonly Uint8Array[], n: number): Uint8Array[] {
  let skip = n;
  let i = 0;
  while (i < parts.length && skip >= (parts[i] as Uint8Array).length) skip -= (parts[i++] as Uint8Array).length;
  const left = parts.slice(i);
  if (skip > 0 && left.length > 0) left[0] = (left[0] as Uint8Array).subarray(skip);
  return left;
}
