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

/** Parts at least this long are referenced by {@link wirePieces}, not copied. */
export const REFERENCED_PART = 4096;

/**
 * The wire form of a message given as consecutive parts (its header, then its payload's pieces),
 * cut into chunks as {@link splitParts} does, as the buffers to write in order: the chunk headers
 * and the parts shorter than REFERENCED_PART are copied into one buffer, longer parts are
 * referenced (views, not copied), so that a large payload is never held twice. Consecutive copied
 * bytes are one buffer: a message of small parts is one buffer, one with a large part two per
 * chunk (the header with what precedes the part's bytes, then a view of them).
 */
export function wirePieces(parts: readonly Uint8Array[], port: number = ChunkPort.Client, maxPiece = MAX_CHUNK_DATA_SIZE): Buffer[] {
  if (maxPiece < MESSAGE_HEADER_SIZE) throw new RangeError(`chunk pieces must hold the ${MESSAGE_HEADER_SIZE}-byte header`);
  const size = parts.reduce((n, p) => n + p.length, 0);
  const count = Math.ceil(size / maxPiece);
  const copied = parts.reduce((n, p) => (p.length < REFERENCED_PART ? n + p.length : n), count * CHUNK_HEADER_SIZE);
  const own = Buffer.allocUnsafe(copied);
  const pieces: Buffer[] = [];
  /** Where the copied bytes not yet handed out as a piece begin. */
  let run = 0;
  let out = 0;
  let part = 0;
  let inPart = 0;
  for (let left = size; left > 0; ) {
    const piece = Math.min(maxPiece, left);
    writeChunkHeader(own, port, piece, out);
    out += CHUNK_HEADER_SIZE;
    for (let need = piece; need > 0; ) {
      const p = parts[part] as Uint8Array;
      const n = Math.min(need, p.length - inPart);
      if (p.length < REFERENCED_PART) {
        own.set(p.subarray(inPart, inPart + n), out);
        out += n;
      } else {
        if (out > run) pieces.push(own.subarray(run, out));
        run = out;
        pieces.push(Buffer.from(p.buffer, p.byteOffset + inPart, n));
      }
      need -= n;
      inPart += n;
      if (inPart === p.length) {
        part++;
        inPart = 0;
      }
    }
    left -= piece;
  }
  if (out > run) pieces.push(own.subarray(run, out));
  return pieces;
}
