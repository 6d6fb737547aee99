import { Capability, FileXferResult, MessageType } from '../constants.js';
import { expectSize, Writer } from '../bytes.js';
import type { CodecContext } from '../context.js';
import { ErrorCode, VdagentError } from '../errors.js';
import type { FileXferDataMessage, FileXferStartMessage, FileXferStatusMessage } from '../messages.js';

/** Decodes FILE_XFER_START: id and key-file text up to the first NUL (spec §10.1). */
export function decodeFileXferStart(p: Buffer): FileXferStartMessage {
  expectSize('FILE_XFER_START', p.length, 'at least', 4);
  const text = p.subarray(4);
  const nul = text.indexOf(0);
  return { type: MessageType.FileXferStart, id: p.readUInt32LE(0), keyfile: text.subarray(0, nul < 0 ? text.length : nul).toString('utf8') };
}

/** Encodes FILE_XFER_START with the trailing NUL spice-gtk sends. */
export function encodeFileXferStart(m: FileXferStartMessage): Buffer {
  const text = Buffer.from(m.keyfile + '\0', 'utf8');
  return new Writer(4 + text.length).u32(m.id).bytes(text).buf;
}

/** Decodes FILE_XFER_STATUS: 8 or more bytes, extra bytes kept as raw detail (spec §15.2). */
export function decodeFileXferStatus(p: Buffer): FileXferStatusMessage {
  expectSize('FILE_XFER_STATUS', p.length, 'at least', 8);
  return { type: MessageType.FileXferStatus, id: p.readUInt32LE(0), result: p.readUInt32LE(4), detail: p.subarray(8) };
}

/**
 * Encodes FILE_XFER_STATUS. For a peer without FILE_XFER_DETAILED_ERRORS, results 4–7 become ERROR
 * and no detail is sent (spec §10.1).
 */
export function encodeFileXferStatus(m: FileXferStatusMessage, ctx: CodecContext): Buffer {
  const detailed = ctx.peerCaps.has(Capability.FileXferDetailedErrors);
  if (!detailed) {
    const result = m.result >= FileXferResult.NotEnoughSpace ? FileXferResult.Error : m.result;
    return new Writer(8).u32(m.id).u32(result).buf;
  }
  const info = m.info;
  if (info?.kind === 'io-error' && m.result === FileXferResult.Error) {
    return new Writer(13).u32(m.id).u32(m.result).u8(info.errorType).u32(info.errorCode).buf;
  }
  if (info?.kind === 'free-space' && m.result === FileXferResult.NotEnoughSpace) {
    return new Writer(16).u32(m.id).u32(m.result).u64(info.bytes).buf;
  }
  return new Writer(8).u32(m.id).u32(m.result).buf;
}

/** Decodes FILE_XFER_DATA: id, u64 size, data; msg.size must equal 12 + size. */
export function decodeFileXferData(p: Buffer): FileXferDataMessage {
  expectSize('FILE_XFER_DATA', p.length, 'at least', 12);
  const size = p.readBigUInt64LE(4);
  if (size !== BigInt(p.length - 12)) {
    throw new VdagentError(ErrorCode.BadPayloadSize, `FILE_XFER_DATA: size field ${size} but ${p.length - 12} data bytes`);
  }
  return { type: MessageType.FileXferData, id: p.readUInt32LE(0), data: p.subarray(12) };
}

/** Encodes FILE_XFER_DATA. */
export function encodeFileXferData(m: FileXferDataMessage): Buffer {
  return Buffer.concat(encodeFileXferDataParts(m));
}

/** Encodes FILE_XFER_DATA as its fixed fields and its data (not copied). */
export function encodeFileXferDataParts(m: FileXferDataMessage): [Buffer, Uint8Array] {
  return [new Writer(12).u32(m.id).u64(BigInt(m.data.length)).buf, m.data];
}
