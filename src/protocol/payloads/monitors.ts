import { MessageType, MonitorsConfigFlag, ReplyError } from '../constants.js';
import { expectSize, Writer } from '../bytes.js';
import { ErrorCode, VdagentError } from '../errors.js';
import type { MonitorConfig, MonitorsConfigMessage, ReplyMessage } from '../messages.js';

/** Most monitors one MONITORS_CONFIG may list (spice-server's limit, spec §9). */
export const MAX_MONITORS = 256;
const ENTRY = 20;
const MM = 4;

/**
 * Decodes MONITORS_CONFIG, with or without the PHYSICAL_SIZE trailer (spec §9, §15.1): the payload
 * must hold N entries of 20 bytes; the trailer is read only when flagged and present.
 */
export function decodeMonitorsConfig(p: Buffer): MonitorsConfigMessage {
  expectSize('MONITORS_CONFIG', p.length, 'at least', 8);
  const count = p.readUInt32LE(0);
  const flags = p.readUInt32LE(4);
  if (count > MAX_MONITORS) throw new VdagentError(ErrorCode.BadFieldValue, `MONITORS_CONFIG: ${count} monitors, at most ${MAX_MONITORS}`);
  if (count > (p.length - 8) / ENTRY) {
    throw new VdagentError(ErrorCode.BadPayloadSize, `MONITORS_CONFIG: ${count} monitors do not fit in ${p.length} bytes`);
  }
  const trailer = (flags & MonitorsConfigFlag.PhysicalSize) !== 0 && p.length >= 8 + (ENTRY + MM) * count;
  const monitors: MonitorConfig[] = [];
  for (let i = 0; i < count; i++) {
    const o = 8 + ENTRY * i;
    const mon: MonitorConfig = { height: p.readUInt32LE(o), width: p.readUInt32LE(o + 4), depth: p.readUInt32LE(o + 8), x: p.readInt32LE(o + 12), y: p.readInt32LE(o + 16) };
    if (trailer) {
      const m = 8 + ENTRY * count + MM * i;
      mon.physical = { heightMm: p.readUInt16LE(m), widthMm: p.readUInt16LE(m + 2) };
    }
    monitors.push(mon);
  }
  return { type: MessageType.MonitorsConfig, flags, monitors };
}

/** Encodes MONITORS_CONFIG; the trailer is written when PHYSICAL_SIZE is flagged. */
export function encodeMonitorsConfig(m: MonitorsConfigMessage): Buffer {
  const trailer = (m.flags & MonitorsConfigFlag.PhysicalSize) !== 0;
  const w = new Writer(8 + (trailer ? ENTRY + MM : ENTRY) * m.monitors.length).u32(m.monitors.length).u32(m.flags);
  for (const mon of m.monitors) w.u32(mon.height).u32(mon.width).u32(mon.depth).i32(mon.x).i32(mon.y);
  if (trailer) for (const mon of m.monitors) w.u16(mon.physical?.heightMm ?? 0).u16(mon.physical?.widthMm ?? 0);
  return w.buf;
}

/** Decodes REPLY: exactly 8 bytes. */
export function decodeReply(p: Buffer): ReplyMessage {
  expectSize('REPLY', p.length, 'exactly', 8);
  const error = p.readUInt32LE(4);
  if (error !== ReplyError.Success && error !== ReplyError.Error) throw new VdagentError(ErrorCode.BadFieldValue, `REPLY: error ${error}`);
  return { type: MessageType.Reply, replyTo: p.readUInt32LE(0), error };
}

/** Encodes REPLY. */
export function encodeReply(m: ReplyMessage): Buffer {
  return new Writer(8).u32(m.replyTo).u32(m.error).buf;
}
