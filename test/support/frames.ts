import { randomBytes } from 'node:crypto';
import { CHUNK_HEADER_SIZE, serializeMessage, writeChunkHeader } from '../../src/protocol/index.js';

/** One chunk: port, size and the data bytes (size may lie when `declaredSize` is given). */
export function chunk(port: number, data: Uint8Array, declaredSize = data.length): Buffer {
  const out = Buffer.alloc(CHUNK_HEADER_SIZE + data.length);
  writeChunkHeader(out, port, declaredSize);
  out.set(data, CHUNK_HEADER_SIZE);
  return out;
}

/** A message header and payload with a chosen protocol number and declared size. */
export function rawMessage(type: number, payload: Uint8Array, opts: { protocol?: number; declaredSize?: number } = {}): Buffer {
  const m = serializeMessage(type, payload, 0n, opts.protocol ?? 1);
  if (opts.declaredSize !== undefined) m.writeUInt32LE(opts.declaredSize >>> 0, 16);
  return m;
}

/** Random bytes whose first chunk header is certainly invalid (so the test is deterministic). */
export function garbage(size: number): Buffer {
  const b = randomBytes(size);
  b.writeUInt32LE(0xdeadbeef, 0);
  return b;
}
