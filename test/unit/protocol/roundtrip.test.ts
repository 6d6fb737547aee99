/**
 * Typed messages survive encode → chunks → reassembly → decode for all 16 types, and decoding
 * enforces the payload size rules of spec §5.1 and the receiver rules of §15; encoding follows the
 * peer's capabilities (§6.6: selection prefix, grab serial, detailed file-transfer errors).
 */
import { describe, expect, it } from 'vitest';
import {
  CapabilitySet,
  ChunkPort,
  ClipboardSelection,
  ClipboardType,
  type CodecContext,
  decodeMessage,
  DisplayConfigFlag,
  encodePayload,
  ErrorCode,
  FileXferErrorType,
  FileXferResult,
  hasGrabSerial,
  hasSelection,
  MAX_MONITORS,
  type Message,
  MessageType,
  MonitorsConfigFlag,
  MouseButtonMask,
  ReplyError,
  Severity,
  toChunks,
} from '../../../src/protocol/index.js';
import {
  CONTEXTS,
  decodePayload,
  DETAILED_ONLY,
  expectVdagentError,
  PLAIN,
  reassemble,
  SELECTION_AND_SERIAL,
  SELECTION_ONLY,
  SERIAL_ONLY,
  SPICE_GTK,
} from './support.js';

/** Encodes into chunks, reassembles them and decodes the one message that comes out. */
function roundTrip(m: Message, ctx: CodecContext, port: ChunkPort = ChunkPort.Client): Message {
  const { messages, errors } = reassemble(...toChunks(m, ctx, port));
  expect(errors).toEqual([]);
  expect(messages).toHaveLength(1);
  expect(messages[0]!.type).toBe(m.type);
  return decodeMessage(messages[0]!, ctx);
}

/** A u32 little-endian word list as bytes. */
function u32s(...words: number[]): Buffer {
  const b = Buffer.alloc(4 * words.length);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 * i));
  return b;
}

/** One 20-byte VDAgentMonConfig entry. */
function monEntry(height: number, width: number, depth: number, x: number, y: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(height, 0);
  b.writeUInt32LE(width, 4);
  b.writeUInt32LE(depth, 8);
  b.writeInt32LE(x, 12);
  b.writeInt32LE(y, 16);
  return b;
}

/** One GRAPHICS_DEVICE_INFO entry with a raw address (len given separately when needed). */
function gdiEntry(channelId: number, monitorId: number, deviceDisplayId: number, address: Buffer, len = address.length): Buffer {
  return Buffer.concat([u32s(channelId, monitorId, deviceDisplayId, len), address]);
}

// -------------------------------------------------------------------------------------------------
// Round trips
// -------------------------------------------------------------------------------------------------

/** Messages whose layout does not depend on the peer's capabilities. */
const CONTEXT_FREE: Array<[string, Message, ChunkPort?]> = [
  ['MOUSE_STATE', { type: MessageType.MouseState, x: 1919, y: 1079, buttons: MouseButtonMask.Left | MouseButtonMask.Right, displayId: 3 }, ChunkPort.Server],
  ['MOUSE_STATE at the u32/u8 extremes', { type: MessageType.MouseState, x: 0xffffffff, y: 0, buttons: 0xfe, displayId: 255 }, ChunkPort.Server],
  [
    'MONITORS_CONFIG without PHYSICAL_SIZE (8 + 20·N)',
    {
      type: MessageType.MonitorsConfig,
      flags: MonitorsConfigFlag.UsePos,
      monitors: [
        { height: 768, width: 1024, depth: 32, x: -1024, y: 0 },
        { height: 1080, width: 1920, depth: 32, x: 0, y: -5 },
      ],
    },
  ],
  [
    'MONITORS_CONFIG with PHYSICAL_SIZE (8 + 24·N)',
    {
      type: MessageType.MonitorsConfig,
      flags: MonitorsConfigFlag.UsePos | MonitorsConfigFlag.PhysicalSize,
      monitors: [
        { height: 1440, width: 2560, depth: 32, x: 0, y: 0, physical: { heightMm: 335, widthMm: 597 } },
        { height: 0, width: 0, depth: 0, x: 0, y: 0, physical: { heightMm: 0, widthMm: 0 } },
        { height: 2160, width: 3840, depth: 32, x: 2560, y: 0, physical: { heightMm: 65535, widthMm: 1 } },
      ],
    },
  ],
  ['MONITORS_CONFIG with zero monitors', { type: MessageType.MonitorsConfig, flags: 0, monitors: [] }],
  [
    'MONITORS_CONFIG with the most monitors allowed (256)',
    {
      type: MessageType.MonitorsConfig,
      flags: MonitorsConfigFlag.PhysicalSize,
      monitors: Array.from({ length: MAX_MONITORS }, (_, i) => ({ height: i, width: i + 1, depth: 32, x: i * 10, y: i === 0 ? 0 : -i, physical: { heightMm: i, widthMm: 2 * i } })),
    },
  ],
  ['REPLY(MONITORS_CONFIG, SUCCESS)', { type: MessageType.Reply, replyTo: MessageType.MonitorsConfig, error: ReplyError.Success }],
  ['REPLY(DISPLAY_CONFIG, ERROR)', { type: MessageType.Reply, replyTo: MessageType.DisplayConfig, error: ReplyError.Error }],
  ['DISPLAY_CONFIG', { type: MessageType.DisplayConfig, flags: DisplayConfigFlag.DisableWallpaper | DisplayConfigFlag.SetColorDepth, depth: 24 }],
  ['ANNOUNCE_CAPABILITIES request with the Linux agent caps', { type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.fromWords([0x00038de7]) }],
  ['ANNOUNCE_CAPABILITIES answer with no caps at all', { type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.empty }],
  ['ANNOUNCE_CAPABILITIES with bits beyond the first word', { type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.of(0, 17, 31, 32, 95) }],
  ['FILE_XFER_START with a non-ASCII file name', { type: MessageType.FileXferStart, id: 0xffffffff, keyfile: '[vdagent-file-xfer]\nname=Übersicht 日本.txt\nsize=18446744073709551615\n' }],
  ['FILE_XFER_START with an empty key file', { type: MessageType.FileXferStart, id: 0, keyfile: '' }],
  ['FILE_XFER_DATA of 0 bytes (an empty file)', { type: MessageType.FileXferData, id: 4, data: Buffer.alloc(0) }],
  ['FILE_XFER_DATA of one 64 KiB block (33 chunks)', { type: MessageType.FileXferData, id: 5, data: Buffer.from(Array.from({ length: 65536 }, (_, k) => (k * 7) & 0xff)) }],
  ['CLIENT_DISCONNECTED', { type: MessageType.ClientDisconnected }, ChunkPort.Server],
  ['MAX_CLIPBOARD of -1 (no limit)', { type: MessageType.MaxClipboard, max: -1 }],
  ['MAX_CLIPBOARD of 100 MiB', { type: MessageType.MaxClipboard, max: 104857600 }],
  ['MAX_CLIPBOARD at the i32 extremes', { type: MessageType.MaxClipboard, max: -0x80000000 }],
  ['AUDIO_VOLUME_SYNC, playback, stereo', { type: MessageType.AudioVolumeSync, isPlayback: true, mute: false, volumes: [65535, 0] }],
  ['AUDIO_VOLUME_SYNC, record, muted, no channels', { type: MessageType.AudioVolumeSync, isPlayback: false, mute: true, volumes: [] }],
  ['AUDIO_VOLUME_SYNC with 255 channels', { type: MessageType.AudioVolumeSync, isPlayback: true, mute: true, volumes: Array.from({ length: 255 }, (_, i) => i * 257) }],
  ['GRAPHICS_DEVICE_INFO with no entries', { type: MessageType.GraphicsDeviceInfo, devices: [] }, ChunkPort.Server],
  [
    'GRAPHICS_DEVICE_INFO with entries of odd lengths back to back',
    {
      type: MessageType.GraphicsDeviceInfo,
      devices: [
        { channelId: 0, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' },
        { channelId: 1, monitorId: 2, deviceDisplayId: 3, deviceAddress: 'pci/0000/02.1/03.0' },
        { channelId: 0xffffffff, monitorId: 0, deviceDisplayId: 7, deviceAddress: '' },
      ],
    },
    ChunkPort.Server,
  ],
];

describe('round trip of the capability-independent message types', () => {
  for (const [name, m, port] of CONTEXT_FREE) {
    for (const [ctxName, ctx] of CONTEXTS) {
      it(`${name} (${ctxName})`, () => {
        expect(roundTrip(m, ctx, port)).toEqual(m);
      });
    }
  }

  for (const result of [FileXferResult.CanSendData, FileXferResult.Cancelled, FileXferResult.Error, FileXferResult.Success]) {
    for (const [ctxName, ctx] of CONTEXTS) {
      it(`FILE_XFER_STATUS with result ${FileXferResult[result]} and no detail (${ctxName})`, () => {
        const m: Message = { type: MessageType.FileXferStatus, id: 42, result };
        expect(roundTrip(m, ctx)).toEqual({ ...m, detail: Buffer.alloc(0) });
      });
    }
  }

  it('FILE_XFER_STATUS results 5–7 survive unchanged for a peer with bit 14', () => {
    for (const result of [FileXferResult.SessionLocked, FileXferResult.VdagentNotConnected, FileXferResult.Disabled]) {
      const m: Message = { type: MessageType.FileXferStatus, id: 1, result };
      expect(roundTrip(m, DETAILED_ONLY)).toEqual({ ...m, detail: Buffer.alloc(0) });
    }
  });
});

describe('round trip of the clipboard messages in every selection/serial context', () => {
  for (const [ctxName, ctx] of CONTEXTS) {
    const selections = hasSelection(ctx) ? [ClipboardSelection.Clipboard, ClipboardSelection.Primary, ClipboardSelection.Secondary] : [ClipboardSelection.Clipboard];
    const serial = hasGrabSerial(ctx) ? { serial: 0xfffffffe } : {};
    for (const selection of selections) {
      const label = `${ClipboardSelection[selection]}, ${ctxName}`;
      it(`CLIPBOARD with data (${label})`, () => {
        const m: Message = { type: MessageType.Clipboard, selection, dataType: ClipboardType.ImagePng, data: Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff)) };
        expect(roundTrip(m, ctx)).toEqual(m);
      });
      it(`CLIPBOARD answering NONE without data (${label})`, () => {
        const m: Message = { type: MessageType.Clipboard, selection, dataType: ClipboardType.None, data: Buffer.alloc(0) };
        expect(roundTrip(m, ctx)).toEqual(m);
      });
      it(`CLIPBOARD_GRAB with several types (${label})`, () => {
        const m: Message = { type: MessageType.ClipboardGrab, selection, ...serial, types: [ClipboardType.Utf8Text, ClipboardType.ImagePng, ClipboardType.FileList] };
        expect(roundTrip(m, ctx)).toEqual(m);
      });
      it(`CLIPBOARD_GRAB with no types (${label})`, () => {
        const m: Message = { type: MessageType.ClipboardGrab, selection, ...serial, types: [] };
        expect(roundTrip(m, ctx)).toEqual(m);
      });
      it(`CLIPBOARD_REQUEST (${label})`, () => {
        const m: Message = { type: MessageType.ClipboardRequest, selection, dataType: ClipboardType.Utf8Text };
        expect(roundTrip(m, ctx)).toEqual(m);
      });
      it(`CLIPBOARD_RELEASE (${label})`, () => {
        const m: Message = { type: MessageType.ClipboardRelease, selection };
        expect(roundTrip(m, ctx)).toEqual(m);
      });
    }
  }
});

// -------------------------------------------------------------------------------------------------
// Size rules (spec §5.1, §15)
// -------------------------------------------------------------------------------------------------

describe('MONITORS_CONFIG size rules (spec §9, §15.1)', () => {
  const two = Buffer.concat([monEntry(1080, 1920, 32, 0, 0), monEntry(1200, 1600, 32, 1920, 0)]);
  const mm = Buffer.from([0x2c, 0x01, 0x12, 0x02, 0x54, 0x01, 0xae, 0x01]);

  it('accepts MONITORS_CONFIG without the PHYSICAL_SIZE trailer (8 + 20·N)', () => {
    const m = decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(2, MonitorsConfigFlag.UsePos), two]), SPICE_GTK);
    expect(m).toEqual({
      type: MessageType.MonitorsConfig,
      flags: MonitorsConfigFlag.UsePos,
      monitors: [
        { height: 1080, width: 1920, depth: 32, x: 0, y: 0 },
        { height: 1200, width: 1600, depth: 32, x: 1920, y: 0 },
      ],
    });
  });

  it('accepts MONITORS_CONFIG flagged PHYSICAL_SIZE whose trailer is missing, without physical sizes', () => {
    const m = decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(2, MonitorsConfigFlag.PhysicalSize), two]), SPICE_GTK);
    if (m.type !== MessageType.MonitorsConfig) throw new Error('wrong type');
    expect(m.monitors).toHaveLength(2);
    expect(m.monitors.map((x) => x.physical)).toEqual([undefined, undefined]);
  });

  it('accepts MONITORS_CONFIG with the trailer (8 + 24·N) and reads the millimetres, height first', () => {
    const m = decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(2, MonitorsConfigFlag.PhysicalSize), two, mm]), SPICE_GTK);
    if (m.type !== MessageType.MonitorsConfig) throw new Error('wrong type');
    expect(m.monitors.map((x) => x.physical)).toEqual([
      { heightMm: 300, widthMm: 530 },
      { heightMm: 340, widthMm: 430 },
    ]);
  });

  it('ignores trailer bytes that are not flagged', () => {
    const m = decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(2, 0), two, mm]), SPICE_GTK);
    if (m.type !== MessageType.MonitorsConfig) throw new Error('wrong type');
    expect(m.monitors.map((x) => x.physical)).toEqual([undefined, undefined]);
  });

  it('ignores a flagged trailer that is only partly present', () => {
    const m = decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(2, MonitorsConfigFlag.PhysicalSize), two, mm.subarray(0, 6)]), SPICE_GTK);
    if (m.type !== MessageType.MonitorsConfig) throw new Error('wrong type');
    expect(m.monitors.map((x) => x.physical)).toEqual([undefined, undefined]);
  });

  it('accepts a payload larger than the N entries and their trailer', () => {
    const m = decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(1, 0), monEntry(1, 2, 3, 4, 5), Buffer.alloc(37, 0xee)]), SPICE_GTK);
    expect(m).toEqual({ type: MessageType.MonitorsConfig, flags: 0, monitors: [{ height: 1, width: 2, depth: 3, x: 4, y: 5 }] });
  });

  it('reads x and y as signed', () => {
    const m = decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(1, MonitorsConfigFlag.UsePos), monEntry(600, 800, 32, -800, -1)]), SPICE_GTK);
    if (m.type !== MessageType.MonitorsConfig) throw new Error('wrong type');
    expect(m.monitors[0]).toMatchObject({ x: -800, y: -1 });
  });

  it('drops a MONITORS_CONFIG shorter than its 8-byte header', () => {
    expectVdagentError(() => decodePayload(MessageType.MonitorsConfig, u32s(0).subarray(0, 4), SPICE_GTK), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops a MONITORS_CONFIG whose count is larger than the payload holds', () => {
    expectVdagentError(() => decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(3, 0), two]), SPICE_GTK), ErrorCode.BadPayloadSize, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(2, 0), two.subarray(0, 39)]), SPICE_GTK), ErrorCode.BadPayloadSize, Severity.Drop);
    // 8 + 24·2 = 56 bytes do not hold 3 entries of 20 either, trailer or not.
    expectVdagentError(() => decodePayload(MessageType.MonitorsConfig, Buffer.concat([u32s(3, MonitorsConfigFlag.PhysicalSize), two, mm]), SPICE_GTK), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops a MONITORS_CONFIG listing more than 256 monitors even when they all fit', () => {
    const payload = Buffer.concat([u32s(MAX_MONITORS + 1, 0), Buffer.alloc(20 * (MAX_MONITORS + 1))]);
    expectVdagentError(() => decodePayload(MessageType.MonitorsConfig, payload, SPICE_GTK), ErrorCode.BadFieldValue, Severity.Drop);
  });

  it('drops a MONITORS_CONFIG claiming 2^32−1 monitors in 8 bytes without looping over them', () => {
    const err = expectVdagentError(() => decodePayload(MessageType.MonitorsConfig, u32s(0xffffffff, 0), SPICE_GTK), ErrorCode.BadFieldValue, Severity.Drop);
    expect(err).toBeDefined();
  });

  it('encodes 8 + 20·N bytes without PHYSICAL_SIZE and 8 + 24·N with it', () => {
    const monitors = [{ height: 1, width: 2, depth: 32, x: 0, y: 0 }];
    expect(encodePayload({ type: MessageType.MonitorsConfig, flags: 0, monitors }, SPICE_GTK)).toHaveLength(28);
    expect(encodePayload({ type: MessageType.MonitorsConfig, flags: MonitorsConfigFlag.PhysicalSize, monitors }, SPICE_GTK)).toHaveLength(32);
  });
});

describe('FILE_XFER_STATUS size rules (spec §10.1, §15.2)', () => {
  it('accepts a FILE_XFER_STATUS of exactly 8 bytes with an empty detail', () => {
    expect(decodePayload(MessageType.FileXferStatus, u32s(9, FileXferResult.Cancelled), PLAIN)).toEqual({
      type: MessageType.FileXferStatus,
      id: 9,
      result: FileXferResult.Cancelled,
      detail: Buffer.alloc(0),
    });
  });

  it('accepts a FILE_XFER_STATUS of more than 8 bytes and keeps the extra bytes as raw detail', () => {
    const extra = Buffer.from([0x00, 0x0a, 0x00, 0x00, 0x00, 0x99, 0x98]);
    expect(decodePayload(MessageType.FileXferStatus, Buffer.concat([u32s(9, FileXferResult.Error), extra]), PLAIN)).toEqual({
      type: MessageType.FileXferStatus,
      id: 9,
      result: FileXferResult.Error,
      detail: extra,
    });
  });

  it('drops a FILE_XFER_STATUS shorter than 8 bytes', () => {
    expectVdagentError(() => decodePayload(MessageType.FileXferStatus, Buffer.alloc(7), PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });
});

describe('FILE_XFER_STATUS downgrade for peers without FILE_XFER_DETAILED_ERRORS (spec §10.1)', () => {
  const noBit14: Array<[string, CodecContext]> = [
    ['no peer caps', PLAIN],
    ['selection and serial but no bit 14', SELECTION_AND_SERIAL],
  ];
  for (const [ctxName, ctx] of noBit14) {
    for (const result of [FileXferResult.NotEnoughSpace, FileXferResult.SessionLocked, FileXferResult.VdagentNotConnected, FileXferResult.Disabled]) {
      it(`sends result ${FileXferResult[result]} as a plain 8-byte ERROR (${ctxName})`, () => {
        expect(encodePayload({ type: MessageType.FileXferStatus, id: 3, result }, ctx).toString('hex')).toBe(u32s(3, FileXferResult.Error).toString('hex'));
      });
    }

    it(`drops the free-space detail of NOT_ENOUGH_SPACE and sends ERROR (${ctxName})`, () => {
      const payload = encodePayload({ type: MessageType.FileXferStatus, id: 3, result: FileXferResult.NotEnoughSpace, info: { kind: 'free-space', bytes: 5n } }, ctx);
      expect(payload.toString('hex')).toBe(u32s(3, FileXferResult.Error).toString('hex'));
    });

    it(`drops the GLIB_IO detail of ERROR (${ctxName})`, () => {
      const payload = encodePayload(
        { type: MessageType.FileXferStatus, id: 3, result: FileXferResult.Error, info: { kind: 'io-error', errorType: FileXferErrorType.GlibIo, errorCode: 14 } },
        ctx,
      );
      expect(payload.toString('hex')).toBe(u32s(3, FileXferResult.Error).toString('hex'));
    });

    it(`leaves results 0–3 alone (${ctxName})`, () => {
      for (const result of [0, 1, 2, 3]) {
        expect(encodePayload({ type: MessageType.FileXferStatus, id: 3, result }, ctx).toString('hex')).toBe(u32s(3, result).toString('hex'));
      }
    });
  }

  it('writes NOT_ENOUGH_SPACE with its u64 free-space detail for a peer with bit 14 (16 bytes)', () => {
    const payload = encodePayload(
      { type: MessageType.FileXferStatus, id: 7, result: FileXferResult.NotEnoughSpace, info: { kind: 'free-space', bytes: 0x0102030405060708n } },
      DETAILED_ONLY,
    );
    expect(payload).toHaveLength(16);
    expect(payload.readUInt32LE(0)).toBe(7);
    expect(payload.readUInt32LE(4)).toBe(FileXferResult.NotEnoughSpace);
    expect(payload.readBigUInt64LE(8)).toBe(0x0102030405060708n);
  });

  it('writes ERROR with error_type u8 and an unaligned u32 error_code at offset 9 for a peer with bit 14 (13 bytes)', () => {
    const payload = encodePayload(
      { type: MessageType.FileXferStatus, id: 7, result: FileXferResult.Error, info: { kind: 'io-error', errorType: FileXferErrorType.GlibIo, errorCode: 0x11223344 } },
      DETAILED_ONLY,
    );
    expect(payload.toString('hex')).toBe('07000000' + '02000000' + '00' + '44332211');
  });

  it('writes results 5–7 unchanged and without detail for a peer with bit 14', () => {
    for (const result of [FileXferResult.SessionLocked, FileXferResult.VdagentNotConnected, FileXferResult.Disabled]) {
      expect(encodePayload({ type: MessageType.FileXferStatus, id: 1, result }, DETAILED_ONLY).toString('hex')).toBe(u32s(1, result).toString('hex'));
    }
  });

  it('writes no detail for a result that takes none, even if one is given', () => {
    const payload = encodePayload({ type: MessageType.FileXferStatus, id: 1, result: FileXferResult.Success, info: { kind: 'free-space', bytes: 1n } }, DETAILED_ONLY);
    expect(payload.toString('hex')).toBe(u32s(1, FileXferResult.Success).toString('hex'));
  });
});

describe('exact payload sizes (spec §5.1)', () => {
  const exact: Array<[string, MessageType, number, CodecContext]> = [
    ['MOUSE_STATE', MessageType.MouseState, 13, PLAIN],
    ['REPLY', MessageType.Reply, 8, PLAIN],
    ['DISPLAY_CONFIG', MessageType.DisplayConfig, 8, PLAIN],
    ['MAX_CLIPBOARD', MessageType.MaxClipboard, 4, PLAIN],
    ['CLIENT_DISCONNECTED', MessageType.ClientDisconnected, 0, PLAIN],
    ['CLIPBOARD_REQUEST without selection', MessageType.ClipboardRequest, 4, PLAIN],
    ['CLIPBOARD_REQUEST with selection', MessageType.ClipboardRequest, 8, SELECTION_ONLY],
    ['CLIPBOARD_REQUEST with selection and serial', MessageType.ClipboardRequest, 8, SPICE_GTK],
  ];

  /** A payload of `n` bytes that is valid apart from its size (REPLY needs a valid error field). */
  const payloadOf = (type: MessageType, n: number): Buffer => {
    const b = Buffer.alloc(n);
    if (type === MessageType.Reply && n >= 8) b.writeUInt32LE(ReplyError.Success, 4);
    return b;
  };

  for (const [name, type, size, ctx] of exact) {
    it(`accepts a ${name} of exactly ${size} bytes`, () => {
      expect(decodePayload(type, payloadOf(type, size), ctx).type).toBe(type);
    });
    for (const wrong of [size - 1, size + 1, size + 4].filter((n) => n >= 0)) {
      it(`drops a ${name} of ${wrong} bytes`, () => {
        expectVdagentError(() => decodePayload(type, payloadOf(type, wrong), ctx), ErrorCode.BadPayloadSize, Severity.Drop);
      });
    }
  }

  it('encodes MOUSE_STATE as 13 bytes, REPLY/DISPLAY_CONFIG as 8, MAX_CLIPBOARD as 4, CLIENT_DISCONNECTED as 0', () => {
    expect(encodePayload({ type: MessageType.MouseState, x: 1, y: 2, buttons: 0, displayId: 0 }, PLAIN)).toHaveLength(13);
    expect(encodePayload({ type: MessageType.Reply, replyTo: 2, error: ReplyError.Success }, PLAIN)).toHaveLength(8);
    expect(encodePayload({ type: MessageType.DisplayConfig, flags: 0, depth: 0 }, PLAIN)).toHaveLength(8);
    expect(encodePayload({ type: MessageType.MaxClipboard, max: -1 }, PLAIN)).toHaveLength(4);
    expect(encodePayload({ type: MessageType.ClientDisconnected }, PLAIN)).toHaveLength(0);
  });

  it('drops a REPLY whose error is neither SUCCESS nor ERROR', () => {
    expectVdagentError(() => decodePayload(MessageType.Reply, u32s(2, 0), PLAIN), ErrorCode.BadFieldValue, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.Reply, u32s(2, 3), PLAIN), ErrorCode.BadFieldValue, Severity.Drop);
  });

  it('reads MAX_CLIPBOARD as a signed i32', () => {
    expect(decodePayload(MessageType.MaxClipboard, [0xff, 0xff, 0xff, 0xff], PLAIN)).toEqual({ type: MessageType.MaxClipboard, max: -1 });
  });
});

describe('minimum payload sizes (spec §5.1)', () => {
  const minimum: Array<[string, MessageType, number, CodecContext]> = [
    ['CLIPBOARD without selection', MessageType.Clipboard, 4, PLAIN],
    ['CLIPBOARD with selection', MessageType.Clipboard, 8, SELECTION_ONLY],
    ['ANNOUNCE_CAPABILITIES', MessageType.AnnounceCapabilities, 4, PLAIN],
    ['CLIPBOARD_GRAB with serial', MessageType.ClipboardGrab, 4, SERIAL_ONLY],
    ['CLIPBOARD_GRAB with selection', MessageType.ClipboardGrab, 4, SELECTION_ONLY],
    ['CLIPBOARD_GRAB with selection and serial', MessageType.ClipboardGrab, 8, SELECTION_AND_SERIAL],
    ['FILE_XFER_START', MessageType.FileXferStart, 4, PLAIN],
    ['FILE_XFER_STATUS', MessageType.FileXferStatus, 8, PLAIN],
    ['FILE_XFER_DATA', MessageType.FileXferData, 12, PLAIN],
    ['AUDIO_VOLUME_SYNC', MessageType.AudioVolumeSync, 3, PLAIN],
    ['GRAPHICS_DEVICE_INFO', MessageType.GraphicsDeviceInfo, 4, PLAIN],
  ];
  for (const [name, type, min, ctx] of minimum) {
    it(`accepts a ${name} of ${min} bytes`, () => {
      expect(decodePayload(type, Buffer.alloc(min), ctx).type).toBe(type);
    });
    it(`drops a ${name} of ${min - 1} bytes`, () => {
      expectVdagentError(() => decodePayload(type, Buffer.alloc(min - 1), ctx), ErrorCode.BadPayloadSize, Severity.Drop);
    });
  }

  it('accepts an empty CLIPBOARD_GRAB without selection or serial (no types)', () => {
    expect(decodePayload(MessageType.ClipboardGrab, Buffer.alloc(0), PLAIN)).toEqual({ type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, types: [] });
  });
});

describe('CLIPBOARD_RELEASE sizes (spec §7.3, §15.3)', () => {
  it('accepts a 1-byte CLIPBOARD_RELEASE with selection in effect and reads the selection from byte 0', () => {
    expect(decodePayload(MessageType.ClipboardRelease, [ClipboardSelection.Secondary], SELECTION_ONLY)).toEqual({
      type: MessageType.ClipboardRelease,
      selection: ClipboardSelection.Secondary,
    });
  });

  it('accepts the 4-byte CLIPBOARD_RELEASE with selection in effect, ignoring the reserved bytes', () => {
    expect(decodePayload(MessageType.ClipboardRelease, [ClipboardSelection.Primary, 0xaa, 0xbb, 0xcc], SPICE_GTK)).toEqual({
      type: MessageType.ClipboardRelease,
      selection: ClipboardSelection.Primary,
    });
  });

  it('drops an empty CLIPBOARD_RELEASE when selection is in effect', () => {
    expectVdagentError(() => decodePayload(MessageType.ClipboardRelease, [], SELECTION_ONLY), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('accepts an empty CLIPBOARD_RELEASE without selection', () => {
    expect(decodePayload(MessageType.ClipboardRelease, [], PLAIN)).toEqual({ type: MessageType.ClipboardRelease, selection: ClipboardSelection.Clipboard });
  });

  it('drops a non-empty CLIPBOARD_RELEASE without selection', () => {
    expectVdagentError(() => decodePayload(MessageType.ClipboardRelease, [0], PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.ClipboardRelease, [0, 0, 0, 0], SERIAL_ONLY), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('sends CLIPBOARD_RELEASE as 4 bytes with selection and 0 bytes without', () => {
    expect(encodePayload({ type: MessageType.ClipboardRelease, selection: ClipboardSelection.Primary }, SELECTION_ONLY).toString('hex')).toBe('01000000');
    expect(encodePayload({ type: MessageType.ClipboardRelease, selection: ClipboardSelection.Clipboard }, PLAIN)).toHaveLength(0);
  });
});

describe('FILE_XFER_DATA, FILE_XFER_START and AUDIO_VOLUME_SYNC internal sizes (spec §10.1, §12, §15.11)', () => {
  it('drops a FILE_XFER_DATA whose size field claims more bytes than it carries', () => {
    const p = Buffer.concat([u32s(1), Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('abc')]);
    expectVdagentError(() => decodePayload(MessageType.FileXferData, p, PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops a FILE_XFER_DATA whose size field claims fewer bytes than it carries', () => {
    const p = Buffer.concat([u32s(1), Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('abc')]);
    expectVdagentError(() => decodePayload(MessageType.FileXferData, p, PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops a FILE_XFER_DATA whose u64 size field is beyond 2^53', () => {
    const p = Buffer.concat([u32s(1), Buffer.from([3, 0, 0, 0, 0, 0, 0, 0x80]), Buffer.from('abc')]);
    expectVdagentError(() => decodePayload(MessageType.FileXferData, p, PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('encodes FILE_XFER_DATA as 12 + n bytes with the u64 size', () => {
    const p = encodePayload({ type: MessageType.FileXferData, id: 2, data: Buffer.from('abc') }, PLAIN);
    expect(p.toString('hex')).toBe('02000000' + '0300000000000000' + '616263');
  });

  it('reads a FILE_XFER_START key file up to the first NUL', () => {
    const p = Buffer.concat([u32s(5), Buffer.from('[g]\nname=x\0garbage', 'utf8')]);
    expect(decodePayload(MessageType.FileXferStart, p, PLAIN)).toEqual({ type: MessageType.FileXferStart, id: 5, keyfile: '[g]\nname=x' });
  });

  it('reads a FILE_XFER_START key file without NUL to the end of the payload', () => {
    const p = Buffer.concat([u32s(5), Buffer.from('[g]\nname=x', 'utf8')]);
    expect(decodePayload(MessageType.FileXferStart, p, PLAIN)).toEqual({ type: MessageType.FileXferStart, id: 5, keyfile: '[g]\nname=x' });
  });

  it('encodes FILE_XFER_START with the trailing NUL spice-gtk sends', () => {
    expect(encodePayload({ type: MessageType.FileXferStart, id: 1, keyfile: 'ab' }, PLAIN).toString('hex')).toBe('01000000' + '616200');
  });

  it('drops an AUDIO_VOLUME_SYNC whose channel count is too large for the payload', () => {
    expectVdagentError(() => decodePayload(MessageType.AudioVolumeSync, [1, 0, 2, 0xff, 0xff], PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.AudioVolumeSync, [1, 0, 255], PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops an AUDIO_VOLUME_SYNC that carries more volumes than its channel count', () => {
    expectVdagentError(() => decodePayload(MessageType.AudioVolumeSync, [1, 0, 1, 0xff, 0xff, 0xff, 0xff], PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.AudioVolumeSync, [1, 0, 0, 0], PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('reads AUDIO_VOLUME_SYNC volumes as u16 at the odd offset 3', () => {
    expect(decodePayload(MessageType.AudioVolumeSync, [1, 1, 2, 0x34, 0x12, 0xff, 0xff], PLAIN)).toEqual({
      type: MessageType.AudioVolumeSync,
      isPlayback: true,
      mute: true,
      volumes: [0x1234, 0xffff],
    });
  });
});

describe('ANNOUNCE_CAPABILITIES word count (spec §6.2)', () => {
  it('accepts zero caps words as the empty set', () => {
    expect(decodePayload(MessageType.AnnounceCapabilities, u32s(1), PLAIN)).toEqual({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.empty });
  });

  it('takes floor((size − 4) / 4) words and ignores a trailing partial word', () => {
    const p = Buffer.concat([u32s(0, 0x21, 0x80000000), Buffer.from([0xff, 0xff, 0xff])]);
    const m = decodePayload(MessageType.AnnounceCapabilities, p, PLAIN);
    if (m.type !== MessageType.AnnounceCapabilities) throw new Error('wrong type');
    expect(m.request).toBe(false);
    expect(m.caps.bits()).toEqual([0, 5, 63]);
  });

  it('treats any non-zero request as a request', () => {
    const m = decodePayload(MessageType.AnnounceCapabilities, u32s(7, 0), PLAIN);
    expect(m).toMatchObject({ request: true });
  });

  it('sends at least one caps word even for the empty set', () => {
    expect(encodePayload({ type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.empty }, PLAIN).toString('hex')).toBe('00000000' + '00000000');
  });
});

describe('GRAPHICS_DEVICE_INFO entries (spec §13.2)', () => {
  const addr = (s: string): Buffer => Buffer.from(s + '\0', 'utf8');

  it('reads entries back to back, the next starting right after the previous NUL', () => {
    const p = Buffer.concat([u32s(2), gdiEntry(0, 0, 0, addr('pci/0000/02.0')), gdiEntry(1, 0, 1, addr('pci/0000/00.1/03.0'))]);
    expect(decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN)).toEqual({
      type: MessageType.GraphicsDeviceInfo,
      devices: [
        { channelId: 0, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' },
        { channelId: 1, monitorId: 0, deviceDisplayId: 1, deviceAddress: 'pci/0000/00.1/03.0' },
      ],
    });
  });

  it('ignores bytes after the counted entries', () => {
    const p = Buffer.concat([u32s(1), gdiEntry(0, 0, 0, addr('a')), Buffer.from([1, 2, 3])]);
    expect(decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN)).toMatchObject({ devices: [{ deviceAddress: 'a' }] });
  });

  it('drops GRAPHICS_DEVICE_INFO whose count promises more entries than there are', () => {
    const p = Buffer.concat([u32s(2), gdiEntry(0, 0, 0, addr('pci/0000/02.0'))]);
    expectVdagentError(() => decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops GRAPHICS_DEVICE_INFO whose entry header is cut short', () => {
    const p = Buffer.concat([u32s(1), u32s(0, 0, 0)]);
    expectVdagentError(() => decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops GRAPHICS_DEVICE_INFO whose address length runs past the payload', () => {
    const p = Buffer.concat([u32s(1), gdiEntry(0, 0, 0, addr('pci/0000/02.0'), 15)]);
    expectVdagentError(() => decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops GRAPHICS_DEVICE_INFO with a zero-length address (the length includes the NUL, so ≥ 1)', () => {
    const p = Buffer.concat([u32s(1), gdiEntry(0, 0, 0, Buffer.alloc(0))]);
    expectVdagentError(() => decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('drops GRAPHICS_DEVICE_INFO claiming 2^32−1 entries in 4 bytes', () => {
    expectVdagentError(() => decodePayload(MessageType.GraphicsDeviceInfo, u32s(0xffffffff), PLAIN), ErrorCode.BadPayloadSize, Severity.Drop);
  });

  it('force-terminates an address without NUL at len − 1', () => {
    const p = Buffer.concat([u32s(1), gdiEntry(4, 5, 6, Buffer.from('pci/0000/02.0X', 'utf8'))]);
    expect(decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN)).toEqual({
      type: MessageType.GraphicsDeviceInfo,
      devices: [{ channelId: 4, monitorId: 5, deviceDisplayId: 6, deviceAddress: 'pci/0000/02.0' }],
    });
  });

  it('cuts an address at an embedded NUL', () => {
    const p = Buffer.concat([u32s(1), gdiEntry(0, 0, 0, Buffer.from('ab\0cd\0', 'utf8'))]);
    expect(decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN)).toMatchObject({ devices: [{ deviceAddress: 'ab' }] });
  });

  it('accepts a 1-byte address (just the NUL) as the empty string', () => {
    const p = Buffer.concat([u32s(1), gdiEntry(0, 0, 0, Buffer.from([0]))]);
    expect(decodePayload(MessageType.GraphicsDeviceInfo, p, PLAIN)).toMatchObject({ devices: [{ deviceAddress: '' }] });
  });

  it('encodes the address length including the NUL', () => {
    const p = encodePayload({ type: MessageType.GraphicsDeviceInfo, devices: [{ channelId: 0, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' }] }, PLAIN);
    expect(p).toHaveLength(34);
    expect(p.readUInt32LE(16)).toBe(14);
    expect(p[33]).toBe(0);
  });
});

// -------------------------------------------------------------------------------------------------
// Capability-dependent layouts (spec §6.6, §7.2–§7.4)
// -------------------------------------------------------------------------------------------------

describe('grab serial present only when the peer announced CLIPBOARD_GRAB_SERIAL (bit 17)', () => {
  const grab: Message = { type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, serial: 9, types: [ClipboardType.Utf8Text] };

  it('omits the serial for a peer without bit 17', () => {
    expect(encodePayload(grab, PLAIN).toString('hex')).toBe(u32s(ClipboardType.Utf8Text).toString('hex'));
    expect(encodePayload(grab, SELECTION_ONLY).toString('hex')).toBe('00000000' + u32s(ClipboardType.Utf8Text).toString('hex'));
  });

  it('writes the serial first for a peer with bit 17 but without bit 6', () => {
    expect(encodePayload(grab, SERIAL_ONLY).toString('hex')).toBe(u32s(9, ClipboardType.Utf8Text).toString('hex'));
  });

  it('writes the serial right after the selection prefix for a peer with bits 6 and 17', () => {
    expect(encodePayload(grab, SELECTION_AND_SERIAL).toString('hex')).toBe('00000000' + u32s(9, ClipboardType.Utf8Text).toString('hex'));
  });

  it('reads every word as a type, and no serial, without bit 17', () => {
    expect(decodePayload(MessageType.ClipboardGrab, u32s(9, 1), PLAIN)).toEqual({ type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, types: [9, 1] });
  });

  it('reads the first word as the serial with bit 17', () => {
    expect(decodePayload(MessageType.ClipboardGrab, u32s(9, 1), SERIAL_ONLY)).toEqual({ type: MessageType.ClipboardGrab, selection: ClipboardSelection.Clipboard, serial: 9, types: [1] });
  });
});

describe('selection prefix only when the peer announced CLIPBOARD_SELECTION (bit 6)', () => {
  it('prefixes CLIPBOARD, GRAB, REQUEST and RELEASE with selection and 3 zero bytes under bit 6', () => {
    const ctx = SELECTION_ONLY;
    expect(encodePayload({ type: MessageType.Clipboard, selection: ClipboardSelection.Secondary, dataType: 1, data: Buffer.from('x') }, ctx).toString('hex')).toBe('02000000' + '01000000' + '78');
    expect(encodePayload({ type: MessageType.ClipboardGrab, selection: ClipboardSelection.Primary, types: [2] }, ctx).toString('hex')).toBe('01000000' + '02000000');
    expect(encodePayload({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Primary, dataType: 5 }, ctx).toString('hex')).toBe('01000000' + '05000000');
    expect(encodePayload({ type: MessageType.ClipboardRelease, selection: ClipboardSelection.Secondary }, ctx).toString('hex')).toBe('02000000');
  });

  it('writes no prefix without bit 6', () => {
    for (const ctx of [PLAIN, SERIAL_ONLY, DETAILED_ONLY]) {
      expect(encodePayload({ type: MessageType.Clipboard, selection: ClipboardSelection.Clipboard, dataType: 1, data: Buffer.from('x') }, ctx).toString('hex')).toBe('01000000' + '78');
      expect(encodePayload({ type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: 5 }, ctx).toString('hex')).toBe('05000000');
    }
  });

  it('reads no prefix without bit 6: the first word of a CLIPBOARD is its type', () => {
    expect(decodePayload(MessageType.Clipboard, [1, 0, 0, 0, 0x41], PLAIN)).toEqual({
      type: MessageType.Clipboard,
      selection: ClipboardSelection.Clipboard,
      dataType: ClipboardType.Utf8Text,
      data: Buffer.from('A'),
    });
  });

  it('ignores the reserved prefix bytes on receipt', () => {
    expect(decodePayload(MessageType.ClipboardRequest, [1, 0xff, 0xff, 0xff, 2, 0, 0, 0], SELECTION_ONLY)).toEqual({
      type: MessageType.ClipboardRequest,
      selection: ClipboardSelection.Primary,
      dataType: ClipboardType.ImagePng,
    });
  });

  it('drops clipboard messages naming a selection beyond SECONDARY', () => {
    expectVdagentError(() => decodePayload(MessageType.ClipboardRequest, [3, 0, 0, 0, 1, 0, 0, 0], SELECTION_ONLY), ErrorCode.BadFieldValue, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.Clipboard, [0xff, 0, 0, 0, 1, 0, 0, 0], SELECTION_ONLY), ErrorCode.BadFieldValue, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.ClipboardGrab, [3, 0, 0, 0], SELECTION_ONLY), ErrorCode.BadFieldValue, Severity.Drop);
    expectVdagentError(() => decodePayload(MessageType.ClipboardRelease, [3], SELECTION_ONLY), ErrorCode.BadFieldValue, Severity.Drop);
  });

  const primaryMessages: Message[] = [
    { type: MessageType.Clipboard, selection: ClipboardSelection.Primary, dataType: ClipboardType.Utf8Text, data: Buffer.from('x') },
    { type: MessageType.ClipboardGrab, selection: ClipboardSelection.Primary, serial: 0, types: [ClipboardType.Utf8Text] },
    { type: MessageType.ClipboardRequest, selection: ClipboardSelection.Primary, dataType: ClipboardType.Utf8Text },
    { type: MessageType.ClipboardRelease, selection: ClipboardSelection.Secondary },
  ];
  for (const m of primaryMessages) {
    it(`refuses to send ${MessageType[m.type]} for a selection other than CLIPBOARD to a peer without bit 6`, () => {
      expectVdagentError(() => encodePayload(m, PLAIN), ErrorCode.BadFieldValue, Severity.Drop);
      expectVdagentError(() => toChunks(m, SERIAL_ONLY), ErrorCode.BadFieldValue, Severity.Drop);
    });
  }
});

describe('decodeMessage on its own', () => {
  it('refuses a type outside the table with UnknownMessageType', () => {
    expectVdagentError(() => decodeMessage({ type: 99, payload: Buffer.alloc(0) }, PLAIN), ErrorCode.UnknownMessageType, Severity.Drop);
  });
});
