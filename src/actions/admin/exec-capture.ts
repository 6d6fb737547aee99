import { type JsonObject, JsonBytes } from '../../qga/index.js';
import type { Readable } from 'node:stream';

/** Captured output kept per stream; the excess is read and dropped (qemu-ga's cap). */
export const MAX_CAPTURE = 16 * 1024 * 1024;

/** Bytes of captured output all kept guest-exec jobs may hold together. */
export class OutputPool {
  used = 0;

  constructor(readonly size: number) {}

  /** Whether the pool is used up (new jobs are refused until the host collects some). */
  get full(): boolean {
    return this.used >= this.size;
  }
}

/** Output of one stream, capped per stream and by the shared pool; the excess is read and dropped. */
export class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(
    stream: Readable,
    private readonly pool: OutputPool,
    done: () => void,
  ) {
    stream.on('data', (chunk: Buffer) => {
      const room = Math.min(MAX_CAPTURE - this.size, pool.size - pool.used);
      if (chunk.length > room) this.truncated = true;
      if (room <= 0) return;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(kept);
      this.size += kept.length;
      pool.used += kept.length;
    });
    stream.on('error', () => undefined);
    stream.on('close', done);
  }

  /** `out-data`/`err-data` and the truncated flag, or nothing when the stream was empty; gives the bytes back to the pool. */
  report(status: JsonObject, data: string, flag: string): void {
    if (this.size === 0) return;
    status.set(data, new JsonBytes(this.chunks));
    status.set(flag, this.truncated);
    this.pool.used -= this.size;
    this.chunks = [];
    this.size = 0;
  }
}
