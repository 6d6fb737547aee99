import { ChunkPort, isMessageType, MAX_CHUNK_DATA_SIZE, MESSAGE_HEADER_SIZE } from './constants.js';
import { ErrorCode, VdagentError } from './errors.js';
import type { CodecContext } from './context.js';
import { serializeMessage, writeMessageHeader } from './header.js';
import type { Message } from './messages.js';
import type { RawMessage } from './reassembler.js';
import { splitParts, wirePieces } from './splitter.js';
import { MESSAGE_TABLE, type MessageSpec } from './table.js';

/** The table row of a message type (rows are typed per type; this view is for dispatch). */
function specOf(type: Message['type']): MessageSpec<Message> {
  return MESSAGE_TABLE[type];
}

/** Second parsing stage: raw message → typed message. Throws VdagentError (drop severity). */
export function decodeMessage(raw: Pick<RawMessage, 'type' | 'payload'>, ctx: CodecContext): Message {
  if (!isMessageType(raw.type)) throw new VdagentError(ErrorCode.UnknownMessageType, `unknown message type ${raw.type}`, raw.type);
  return specOf(raw.type).decode(raw.payload, ctx);
}

/** Encodes a typed message's payload. */
export function encodePayload(message: Message, ctx: CodecContext): Buffer {
  return specOf(message.type).encode(message, ctx);
}

/** Serializes a typed message: 20-byte header and payload. */
export function serialize(message: Message, ctx: CodecContext): Buffer {
  return serializeMessage(message.type, encodePayload(message, ctx));
}

/** Encodes a typed message's payload as consecutive parts; bulk data (clipboard, file data) is not copied. */
export function encodePayloadParts(message: Message, ctx: CodecContext): Uint8Array[] {
  const spec = specOf(message.type);
  return spec.encodeParts ? spec.encodeParts(message, ctx) : [spec.encode(message, ctx)];
}

/** Serializes a typed message and cuts it into chunks of at most `maxPiece` bytes for the wire: its bytes are copied once, into the chunks. */
export function toChunks(message: Message, ctx: CodecContext, port: ChunkPort = ChunkPort.Client, maxPiece = MAX_CHUNK_DATA_SIZE): Buffer[] {
  const parts = encodePayloadParts(message, ctx);
  const size = parts.reduce((n, p) => n + p.length, 0);
  const header = writeMessageHeader(Buffer.allocUnsafe(MESSAGE_HEADER_SIZE), message.type, size);
  return splitParts([header, ...parts], port, maxPiece);
}

/**
 * Serializes a typed message for the wire as the buffers to write in order (see
 * {@link wirePieces}): chunk headers and small fields copied, bulk data (clipboard, file data)
 * referenced, so that a large message is not held twice while it waits for the port.
 */
export function toWire(message: Message, ctx: CodecContext, port: ChunkPort = ChunkPort.Client, maxPiece = MAX_CHUNK_DATA_SIZE): Buffer[] {
  const parts = encodePayloadParts(message, ctx);
  const size = parts.reduce((n, p) => n + p.length, 0);
  const header = writeMessageHeader(Buffer.allocUnsafe(MESSAGE_HEADER_SIZE), message.type, size);
  return wirePieces([header, ...parts], port, maxPiece);
}
