import { MessageType } from '../constants.js';
import { expectSize, Writer } from '../bytes.js';
import type { MouseStateMessage } from '../messages.js';

/** Decodes MOUSE_STATE: exactly 13 bytes. */
export function decodeMouseState(p: Buffer): MouseStateMessage {
  expectSize('MOUSE_STATE', p.length, 'exactly', 13);
  return { type: MessageType.MouseState, x: p.readUInt32LE(0), y: p.readUInt32LE(4), buttons: p.readUInt32LE(8), displayId: p.readUInt8(12) };
}

/** Encodes MOUSE_STATE. */
export function encodeMouseState(m: MouseStateMessage): Buffer {
  return new Writer(13).u32(m.x).u32(m.y).u32(m.buttons).u8(m.displayId).buf;
}
