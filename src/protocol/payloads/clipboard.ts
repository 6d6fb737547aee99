import { ClipboardSelection, MessageType } from '../constants.js';
import { expectSize, Writer } from '../bytes.js';
import { type CodecContext, hasGrabSerial, hasSelection } from '../context.js';
import { ErrorCode, VdagentError } from '../errors.js';
import type {
  ClipboardGrabMessage,
  ClipboardMessage,
  ClipboardReleaseMessage,
  ClipboardRequestMessage,
  MaxClipboardMessage,
} from '../messages.js';

const PREFIX = 4;

/** Reads the selection byte when the prefix is in effect (spec §7.2). */
function selectionOf(name: string, p: Buffer, ctx: CodecContext): ClipboardSelection {
  if (!hasSelection(ctx)) return ClipboardSelection.Clipboard;
  const sel = p.readUInt8(0);
  if (sel > ClipboardSelection.Secondary) throw new VdagentError(ErrorCode.BadFieldValue, `${name}: selection ${sel}`);
  return sel;
}

/** Starts a writer with the selection prefix when in effect. */
function withPrefix(ctx: CodecContext, size: number, selection: ClipboardSelection): Writer {
  const w = new Writer((hasSelection(ctx) ? PREFIX : 0) + size);
  if (hasSelection(ctx)) w.u8(selection).u8(0).u8(0).u8(0);
  else if (selection !== ClipboardSelection.Clipboard) {
    throw new VdagentError(ErrorCode.BadFieldValue, `selection ${selection} cannot be sent to a peer without CLIPBOARD_SELECTION`);
  }
  return w;
}

function prefixLen(ctx: CodecContext): number {
  return hasSelection(ctx) ? PREFIX : 0;
}

/** Decodes CLIPBOARD: ≥ 4 bytes (+4 with selection). */
export function decodeClipboard(p: Buffer, ctx: CodecContext): ClipboardMessage {
  const pre = prefixLen(ctx);
  expectSize('CLIPBOARD', p.length, 'at least', pre + 4);
  return { type: MessageType.Clipboard, selection: selectionOf('CLIPBOARD', p, ctx), dataType: p.readUInt32LE(pre), data: p.subarray(pre + 4) };
}

/** Encodes CLIPBOARD. */
export function encodeClipboard(m: ClipboardMessage, ctx: CodecContext): Buffer {
  return Buffer.concat(encodeClipboardParts(m, ctx));
}

/** Encodes CLIPBOARD as its fixed fields and its data (not copied). */
export function encodeClipboardParts(m: ClipboardMessage, ctx: CodecContext): [Buffer, Uint8Array] {
  return [withPrefix(ctx, 4, m.selection).u32(m.dataType).buf, m.data];
}

/** Decodes CLIPBOARD_GRAB: [prefix] [serial] types (spec §7.3). */
export function decodeClipboardGrab(p: Buffer, ctx: CodecContext): ClipboardGrabMessage {
  const pre = prefixLen(ctx);
  const serialLen = hasGrabSerial(ctx) ? 4 : 0;
  expectSize('CLIPBOARD_GRAB', p.length, 'at least', pre + serialLen);
  const types = [];
  for (let o = pre + serialLen; o + 4 <= p.length; o += 4) types.push(p.readUInt32LE(o));
  const m: ClipboardGrabMessage = { type: MessageType.ClipboardGrab, selection: selectionOf('CLIPBOARD_GRAB', p, ctx), types };
  if (serialLen) m.serial = p.readUInt32LE(pre);
  return m;
}

/** Encodes CLIPBOARD_GRAB; the serial is written when the peer announced GRAB_SERIAL. */
export function encodeClipboardGrab(m: ClipboardGrabMessage, ctx: CodecContext): Buffer {
  const serial = hasGrabSerial(ctx);
  const w = withPrefix(ctx, (serial ? 4 : 0) + 4 * m.types.length, m.selection);
  if (serial) w.u32(m.serial ?? 0);
  for (const t of m.types) w.u32(t);
  return w.buf;
}

/** Decodes CLIPBOARD_REQUEST: exactly 4 bytes (+4 with selection). */
export function decodeClipboardRequest(p: Buffer, ctx: CodecContext): ClipboardRequestMessage {
  const pre = prefixLen(ctx);
  expectSize('CLIPBOARD_REQUEST', p.length, 'exactly', pre + 4);
  return { type: MessageType.ClipboardRequest, selection: selectionOf('CLIPBOARD_REQUEST', p, ctx), dataType: p.readUInt32LE(pre) };
}

/** Encodes CLIPBOARD_REQUEST. */
export function encodeClipboardRequest(m: ClipboardRequestMessage, ctx: CodecContext): Buffer {
  return withPrefix(ctx, 4, m.selection).u32(m.dataType).buf;
}

/** Decodes CLIPBOARD_RELEASE: 0 bytes, or with selection ≥ 1 (spice-vdagentd sends 1, spec §15.3). */
export function decodeClipboardRelease(p: Buffer, ctx: CodecContext): ClipboardReleaseMessage {
  if (hasSelection(ctx)) expectSize('CLIPBOARD_RELEASE', p.length, 'at least', 1);
  else expectSize('CLIPBOARD_RELEASE', p.length, 'exactly', 0);
  return { type: MessageType.ClipboardRelease, selection: selectionOf('CLIPBOARD_RELEASE', p, ctx) };
}

/** Encodes CLIPBOARD_RELEASE (4 bytes with selection, else 0). */
export function encodeClipboardRelease(m: ClipboardReleaseMessage, ctx: CodecContext): Buffer {
  return withPrefix(ctx, 0, m.selection).buf;
}

/** Decodes MAX_CLIPBOARD: exactly 4 bytes, i32. */
export function decodeMaxClipboard(p: Buffer): MaxClipboardMessage {
  expectSize('MAX_CLIPBOARD', p.length, 'exactly', 4);
  return { type: MessageType.MaxClipboard, max: p.readInt32LE(0) };
}

/** Encodes MAX_CLIPBOARD. */
export function encodeMaxClipboard(m: MaxClipboardMessage): Buffer {
  return new Writer(4).i32(m.max).buf;
}
