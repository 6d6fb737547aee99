/**
 * Per-type ceilings on declared sizes (spec §5): only CLIPBOARD may declare up to the configured
 * ceiling; a header of any other type declaring more than its own ceiling is refused as soon as it
 * arrives (MessageTooLarge, drop severity), nothing of it is kept, and the stream goes on.
 */
import { describe, expect, it } from 'vitest';
import {
  ChunkPort,
  decodeMessage,
  DEFAULT_MAX_MESSAGE_SIZE,
  ErrorCode,
  FILE_XFER_DATA_CEILING,
  GRAPHICS_DEVICE_INFO_CEILING,
  MESSAGE_TABLE,
  MessageType,
  MIN_BLOCK_SIZE,
  MONITORS_CONFIG_CEILING,
  MonitorsConfigFlag,
  ONE_CHUNK_PAYLOAD,
  payloadCeiling,
  serialize,
  Severity,
  splitMessage,
} from '../../../src/protocol/index.js';
import { chunk, codes, messageHeader, PLAIN, recorder } from './support.js';

const ALL_TYPES = Object.keys(MESSAGE_TABLE).map(Number) as MessageType[];
const MAX_CLIPBOARD_MSG = Buffer.concat(splitMessage(serialize({ type: MessageType.MaxClipboard, max: 7 }, PLAIN)));

/** The first chunk of a message of `type` declaring `declared` bytes, with up to 2028 payload bytes. */
function firstChunk(type: number, declared: number): Buffer {
  return chunk(ChunkPort.Client, Buffer.concat([messageHeader(type, declared), Buffer.alloc(Math.min(declared, ONE_CHUNK_PAYLOAD), 0x33)]));
}

describe('per-type ceilings', () => {
  it('gives every type but CLIPBOARD a ceiling of its own, far below the 128 MiB of CLIPBOARD', () => {
    for (const type of ALL_TYPES) {
      const ceiling = payloadCeiling(type, DEFAULT_MAX_MESSAGE_SIZE);
      if (type === MessageType.Clipboard) expect(ceiling).toBe(DEFAULT_MAX_MESSAGE_SIZE);
      else expect(ceiling, MESSAGE_TABLE[type].name).toBeLessThanOrEqual(FILE_XFER_DATA_CEILING);
    }
  });

  it('admits the largest messages real peers send', () => {
    expect(payloadCeiling(MessageType.FileXferData, DEFAULT_MAX_MESSAGE_SIZE)).toBeGreaterThanOrEqual(65536 + 12);
    expect(payloadCeiling(MessageType.MonitorsConfig, DEFAULT_MAX_MESSAGE_SIZE)).toBe(8 + 256 * 24);
    expect(payloadCeiling(MessageType.AudioVolumeSync, DEFAULT_MAX_MESSAGE_SIZE)).toBeGreaterThanOrEqual(3 + 2 * 255);
    expect(payloadCeiling(MessageType.GraphicsDeviceInfo, DEFAULT_MAX_MESSAGE_SIZE)).toBe(GRAPHICS_DEVICE_INFO_CEILING);
  });

  it('never exceeds a smaller configured ceiling; unknown types get the configured one', () => {
    expect(payloadCeiling(MessageType.MonitorsConfig, 100)).toBe(100);
    expect(payloadCeiling(99, 1000)).toBe(1000);
  });

  for (const type of ALL_TYPES.filter((t) => t !== MessageType.Clipboard)) {
    const name = MESSAGE_TABLE[type].name;
    const ceiling = payloadCeiling(type, DEFAULT_MAX_MESSAGE_SIZE);

    it(`refuses a ${name} header declaring ${ceiling} + 1 bytes at once (MessageTooLarge, drop), then decodes the next message`, () => {
      const { r, messages, errors } = recorder();
      r.push(firstChunk(type, ceiling + 1));
      expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTooLarge, severity: Severity.Drop }]);
      expect(errors[0]!.err.messageType).toBe(type);
      expect(errors[0]!.port).toBe(ChunkPort.Client);
      expect(r.buffered).toBe(0);
      expect(r.needsResync).toBe(false);
      r.push(MAX_CLIPBOARD_MSG);
      expect(messages.map((m) => m.type)).toEqual([MessageType.MaxClipboard]);
    });

    it(`collects a ${name} declaring exactly its ceiling of ${ceiling} bytes`, () => {
      const { r, messages, errors } = recorder();
      r.push(Buffer.concat(splitMessage(Buffer.concat([messageHeader(type, ceiling), Buffer.alloc(ceiling)]))));
      expect(errors).toEqual([]);
      expect(messages.map((m) => [m.type, m.payload.length])).toEqual([[type, ceiling]]);
    });
  }

  it('refuses a lying 4 GiB FILE_XFER_DATA, MONITORS_CONFIG or GRAPHICS_DEVICE_INFO header without keeping any of it', () => {
    for (const type of [MessageType.FileXferData, MessageType.MonitorsConfig, MessageType.GraphicsDeviceInfo]) {
      const { r, errors } = recorder();
      r.push(firstChunk(type, 0xffffffff));
      expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTooLarge, severity: Severity.Drop }]);
      expect(r.buffered).toBe(0);
    }
  });

  it('still takes a CLIPBOARD header of 128 MiB − 1 (collecting only what arrives) and refuses one of 128 MiB + 1', () => {
    const { r, errors } = recorder();
    r.push(firstChunk(MessageType.Clipboard, DEFAULT_MAX_MESSAGE_SIZE - 1));
    expect(errors).toEqual([]);
    expect(r.buffered).toBeLessThanOrEqual(MIN_BLOCK_SIZE + 20);
    r.reset();
    r.push(firstChunk(MessageType.Clipboard, DEFAULT_MAX_MESSAGE_SIZE + 1));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTooLarge, severity: Severity.Drop }]);
  });

  it('takes the largest MONITORS_CONFIG spice-server passes on: 256 monitors with physical sizes', () => {
    const monitors = Array.from({ length: 256 }, (_, i) => ({ width: 640, height: 480, depth: 32, x: 640 * i, y: 0, physical: { widthMm: 300, heightMm: 200 } }));
    const whole = serialize({ type: MessageType.MonitorsConfig, flags: MonitorsConfigFlag.PhysicalSize, monitors }, PLAIN);
    expect(whole.length - 20).toBe(MONITORS_CONFIG_CEILING);
    const { r, messages, errors } = recorder();
    r.push(Buffer.concat(splitMessage(whole)));
    expect(errors).toEqual([]);
    expect(decodeMessage(messages[0]!, PLAIN)).toEqual({ type: MessageType.MonitorsConfig, flags: MonitorsConfigFlag.PhysicalSize, monitors });
  });
});
