/** Shared helpers for the protocol-layer tests (not a test file itself). */
import { expect } from 'vitest';
import {
  CapabilitySet,
  Capability,
  type CodecContext,
  type ErrorCode,
  type Message,
  MESSAGE_HEADER_SIZE,
  NO_PEER,
  type RawMessage,
  Reassembler,
  type ReassemblerOptions,
  type Severity,
  VdagentError,
  decodeMessage,
} from '../../../src/protocol/index.js';

/** Caps word spice-gtk announces (spec §6.4): bits 0,1,2,4,5,6,12,14,16,17. */
export const SPICE_GTK_CAPS_WORD = 0x00035077;
/** Caps word spice-vdagentd announces (spec §6.4): bits 0,1,2,5,6,7,8,10,11,15,16,17. */
export const LINUX_AGENT_CAPS_WORD = 0x00038de7;

/** The agent talking to spice-gtk: selection, grab serial and detailed errors in effect. */
export const SPICE_GTK: CodecContext = { peerCaps: CapabilitySet.fromWords([SPICE_GTK_CAPS_WORD]) };
/** A peer that announced nothing (no selection prefix, no serial, no detailed errors). */
export const PLAIN: CodecContext = NO_PEER;
/** Only CLIPBOARD_SELECTION (bit 6). */
export const SELECTION_ONLY: CodecContext = { peerCaps: CapabilitySet.of(Capability.ClipboardByDemand, Capability.ClipboardSelection) };
/** Only CLIPBOARD_GRAB_SERIAL (bit 17). */
export const SERIAL_ONLY: CodecContext = { peerCaps: CapabilitySet.of(Capability.ClipboardByDemand, Capability.ClipboardGrabSerial) };
/** Selection and serial (bits 6 and 17) but no detailed errors. */
export const SELECTION_AND_SERIAL: CodecContext = {
  peerCaps: CapabilitySet.of(Capability.ClipboardByDemand, Capability.ClipboardSelection, Capability.ClipboardGrabSerial),
};
/** Only FILE_XFER_DETAILED_ERRORS (bit 14). */
export const DETAILED_ONLY: CodecContext = { peerCaps: CapabilitySet.of(Capability.FileXferDetailedErrors) };

/** All the contexts above, named, for table-driven tests. */
export const CONTEXTS: ReadonlyArray<readonly [string, CodecContext]> = [
  ['no peer caps', PLAIN],
  ['selection only', SELECTION_ONLY],
  ['serial only', SERIAL_ONLY],
  ['selection and serial', SELECTION_AND_SERIAL],
  ['detailed errors only', DETAILED_ONLY],
  ['spice-gtk caps 0x00035077', SPICE_GTK],
];

/** One error reported to the reassembler's sink. */
export interface SinkError {
  err: VdagentError;
  port: number | undefined;
}

/** A reassembler whose sink records everything it is given. */
export function recorder(options?: ReassemblerOptions): { r: Reassembler; messages: RawMessage[]; errors: SinkError[] } {
  const messages: RawMessage[] = [];
  const errors: SinkError[] = [];
  const r = new Reassembler(
    {
      message: (raw) => messages.push(raw),
      error: (err, port) => errors.push({ err, port }),
    },
    options,
  );
  return { r, messages, errors };
}

/** Feeds `bytes` to a fresh reassembler in one push and returns what came out. */
export function reassemble(...pushes: Buffer[]): { messages: RawMessage[]; errors: SinkError[] } {
  const { r, messages, errors } = recorder();
  for (const p of pushes) r.push(p);
  return { messages, errors };
}

/** The error codes and severities reported, for compact assertions. */
export function codes(errors: readonly SinkError[]): Array<{ code: ErrorCode; severity: Severity }> {
  return errors.map(({ err }) => ({ code: err.code, severity: err.severity }));
}

/** Runs `fn` and asserts it throws a VdagentError with this code and severity. */
export function expectVdagentError(fn: () => unknown, code: ErrorCode, severity: Severity): VdagentError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a VdagentError to be thrown').toBeInstanceOf(VdagentError);
  const err = caught as VdagentError;
  expect({ code: err.code, severity: err.severity }).toEqual({ code, severity });
  return err;
}

/** Decodes a bare payload as message type `type`. */
export function decodePayload(type: number, payload: Buffer | number[], ctx: CodecContext): Message {
  return decodeMessage({ type, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload) }, ctx);
}

/** Builds one single-chunk message with an arbitrary header (protocol, type, declared size). */
export function rawChunk(
  port: number,
  type: number,
  payload: Buffer | number[],
  opts: { protocol?: number; declaredSize?: number; opaque?: bigint } = {},
): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const out = Buffer.alloc(8 + MESSAGE_HEADER_SIZE + body.length);
  out.writeUInt32LE(port, 0);
  out.writeUInt32LE(MESSAGE_HEADER_SIZE + body.length, 4);
  out.writeUInt32LE(opts.protocol ?? 1, 8);
  out.writeUInt32LE(type, 12);
  out.writeBigUInt64LE(opts.opaque ?? 0n, 16);
  out.writeUInt32LE(opts.declaredSize ?? body.length, 24);
  body.copy(out, 28);
  return out;
}

/** A chunk header followed by `data` (any bytes: part of a message, or several). */
export function chunk(port: number, data: Buffer | number[], declaredChunkSize?: number): Buffer {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const out = Buffer.alloc(8 + body.length);
  out.writeUInt32LE(port, 0);
  out.writeUInt32LE(declaredChunkSize ?? body.length, 4);
  body.copy(out, 8);
  return out;
}

/** A 20-byte message header. */
export function messageHeader(type: number, size: number, protocol = 1): Buffer {
  const h = Buffer.alloc(MESSAGE_HEADER_SIZE);
  h.writeUInt32LE(protocol, 0);
  h.writeUInt32LE(type, 4);
  h.writeUInt32LE(size, 16);
  return h;
}
