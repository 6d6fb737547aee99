import { MESSAGE_HEADER_SIZE, PROTOCOL_VERSION } from './constants.js';

/** A decoded VDAgentMessage header (spec §4). */
export interface MessageHeader {
  /** VDAgentMessage.protocol; 1 for every valid message. */
  protocol: number;
  /** VDAgentMessage.type. */
  type: number;
  /** VDAgentMessage.opaque; unused, kept for round trips. */
  opaque: bigint;
  /** VDAgentMessage.size: payload bytes after the header. */
  size: number;
}

/** Reads a VDAgentMessage header at `offset` (20 bytes must be there). */
export function readMessageHeader(buf: Uint8Array, offset = 0): MessageHeader {
  const v = new DataView(buf.buffer, buf.byteOffset + offset, MESSAGE_HEADER_SIZE);
  return {
    protocol: v.getUint32(0, true),
    type: v.getUint32(4, true),
    opaque: v.getBigUint64(8, true),
    size: v.getUint32(16, true),
  };
}

/** Serializes one message: 20-byte header followed by the payload. */
export function serializeMessage(type: number, payload: Uint8Array, opaque = 0n, protocol = PROTOCOL_VERSION): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_HEADER_SIZE + payload.length);
  writeMessageHeader(out, type, payload.length, opaque, protocol);
  out.set(payload, MESSAGE_HEADER_SIZE);
  return out;
}

/** Writes a VDAgentMessage header for a payload of `size` bytes into the first 20 bytes of `out`. */
export function writeMessageHeader(out: Buffer, type: number, size: number, opaque = 0n, protocol = PROTOCOL_VERSION): Buffer {
  out.writeUInt32LE(protocol, 0);
  out.writeUInt32LE(type, 4);
  out.writeBigUInt64LE(opaque, 8);
  out.writeUInt32LE(size, 16);
  return out;
}

/** Writes a VDIChunkHeader (port, size) into `out` at `offset` (8 bytes). */
export function writeChunkHeader(out: Buffer, port: number, size: number, offset = 0): void {
  out.writeUInt32LE(port, offset);
  out.writeUInt32LE(size, offset + 4);
}
