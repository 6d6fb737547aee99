import { MessageType } from '../constants.js';
import { expectSize, Writer } from '../bytes.js';
import { ErrorCode, VdagentError } from '../errors.js';
import type { DeviceDisplayInfo, GraphicsDeviceInfoMessage } from '../messages.js';

const ENTRY = 16;

/**
 * Decodes GRAPHICS_DEVICE_INFO (spec §13.2): every entry must fit in the payload; the address is
 * cut at its first NUL and never read past `len − 1`.
 */
export function decodeGraphicsDeviceInfo(p: Buffer): GraphicsDeviceInfoMessage {
  expectSize('GRAPHICS_DEVICE_INFO', p.length, 'at least', 4);
  const count = p.readUInt32LE(0);
  const devices: DeviceDisplayInfo[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    if (p.length - o < ENTRY) throw new VdagentError(ErrorCode.BadPayloadSize, `GRAPHICS_DEVICE_INFO: entry ${i} of ${count} does not fit`);
    const len = p.readUInt32LE(o + 12);
    if (len < 1 || len > p.length - o - ENTRY) {
      throw new VdagentError(ErrorCode.BadPayloadSize, `GRAPHICS_DEVICE_INFO: entry ${i} address of ${len} bytes does not fit`);
    }
    const raw = p.subarray(o + ENTRY, o + ENTRY + len - 1);
    const nul = raw.indexOf(0);
    devices.push({
      channelId: p.readUInt32LE(o),
      monitorId: p.readUInt32LE(o + 4),
      deviceDisplayId: p.readUInt32LE(o + 8),
      deviceAddress: raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8'),
    });
    o += ENTRY + len;
  }
  return { type: MessageType.GraphicsDeviceInfo, devices };
}

/** Encodes GRAPHICS_DEVICE_INFO with NUL-terminated addresses. */
export function encodeGraphicsDeviceInfo(m: GraphicsDeviceInfoMessage): Buffer {
  const addrs = m.devices.map((d) => Buffer.from(d.deviceAddress + '\0', 'utf8'));
  const w = new Writer(4 + addrs.reduce((n, a) => n + ENTRY + a.length, 0)).u32(m.devices.length);
  m.devices.forEach((d, i) => {
    const a = addrs[i] as Buffer;
    w.u32(d.channelId).u32(d.monitorId).u32(d.deviceDisplayId).u32(a.length).bytes(a);
  });
  return w.buf;
}
