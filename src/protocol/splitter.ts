import { ChunkPort, CHUNK_HEADER_SIZE, MAX_CHUNK_DATA_SIZE, MESSAGE_HEADER_SIZE } from './constants.js';
import { writeChunkHeader } from './header.js';

/**
 * Cuts one serialized message into chunks the way spice-gtk does (spec §3.2): pieces of at most
 * `maxPiece` bytes, the whole 20-byte header in the first, never bytes of two messages in one chunk.
 */
export function splitMessage(message: Uint8Array, port: number = ChunkPort.Client, maxPiece = MAX_CHUNK_DATA_SIZE): Buffer[] {
  if (maxPiece < MESSAGE_HEADER_SIZE) throw new RangeError(`chunk pieces must hold the ${MESSAGE_HEADER_SIZE}-byte header`);
  const chunks: Buffer[] = [];
  for (let off = 0; off < message.length; off += maxPiece) {
    const piece = message.subarray(off, Math.min(off + maxPiece, message.length));
    const chunk = Buffer.allocUnsafe(CHUNK_HEADER_SIZE + piece.length);
    writeChunkHeader(chunk, port, piece.length);
    chunk.set(piece, CHUNK_HEADER_SIZE);
    chunks.push(chunk);
  }
  return chunks;
}
