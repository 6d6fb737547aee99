import { ChunkPort, CHUNK_HEADER_SIZE, MAX_CHUNK_DATA_SIZE, MESSAGE_HEADER_SIZE } from './constants.js';
import { writeChunkHeader } from './header.js';

/**
 * Cuts one serialized message into chunks the way spice-gtk does (spec §3.2): pieces of at most
 * `maxPiece` bytes, the whole 20-byte header in the first, never bytes of two messages in one chunk.
 */
export function splitMessage(message: Uint8Array, port: number = ChunkPort.Client, maxPiece = MAX_CHUNK_DATA_SIZE): Buffer[] {
  return splitParts([message], port, maxPiece);
}

/**
 * {@link splitMessage} for a message given as consecutive parts (its header, then its payload's
 * pieces): every byte is copied once, into a single buffer holding all the chunks one after the
 * other (the wire form); the chunks returned are views into it.
 */
export function splitParts(parts: readonly Uint8Array[], port: number = ChunkPort.Client, maxPiece = MAX_CHUNK_DATA_SIZE): Buffer[] {
  if (maxPiece < MESSAGE_HEADER_SIZE) throw new RangeError(`chunk pieces must hold the ${MESSAGE_HEADER_SIZE}-byte header`);
  const size = parts.reduce((n, p) => n + p.length, 0);
  const count = Math.ceil(size / maxPiece);
  const wire = Buffer.allocUnsafe(size + count * CHUNK_HEADER_SIZE);
  const chunks: Buffer[] = [];
  let part = 0;
  let inPart = 0;
  let out = 0;
  for (let left = size; left > 0; ) {
    const piece = Math.min(maxPiece, left);
    writeChunkHeader(wire, port, piece, out);
    const start = out;
    out += CHUNK_HEADER_SIZE;
    // Fill the piece from as many parts as it spans.
    for (let need = piece; need > 0; ) {
      const p = parts[part] as Uint8Array;
      const n = Math.min(need, p.length - inPart);
      wire.set(p.subarray(inPart, inPart + n), out);
      out += n;
      need -= n;
      inPart += n;
      if (inPart === p.length) {
        part++;
        inPart = 0;
      }
    }
    chunks.push(wire.subarray(start, out));
    left -= piece;
  }
  return chunks;
}
