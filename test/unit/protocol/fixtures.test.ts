/**
 * The worked examples of spec §14, byte for byte: each dump decodes (chunk reassembly, then typed
 * decoding in the context the example names) to the expected message, and encoding that message
 * produces exactly the dump again.
 */
import { describe, expect, it } from 'vitest';
import {
  CapabilitySet,
  ChunkPort,
  ClipboardSelection,
  ClipboardType,
  type CodecContext,
  decodeMessage,
  FileXferErrorType,
  FileXferResult,
  type Message,
  MessageType,
  MonitorsConfigFlag,
  MouseButtonMask,
  ReplyError,
  toChunks,
} from '../../../src/protocol/index.js';
import * as ex from '../../fixtures/spec-examples.js';
import { LINUX_AGENT_CAPS_WORD, PLAIN, reassemble, SPICE_GTK, SPICE_GTK_CAPS_WORD } from './support.js';

interface Example {
  /** Test name. */
  name: string;
  /** The dump: the chunks exactly as on the wire. */
  chunks: Buffer[];
  /** The chunk port of every chunk. */
  port: ChunkPort;
  /** The codec context the example is in (spice-gtk peer unless stated otherwise). */
  ctx: CodecContext;
  /** What decoding yields. */
  decoded: Message;
  /** What an encoder is given to produce the dump (defaults to `decoded`). */
  encoded?: Message;
}

const keyfile = '[vdagent-file-xfer]\nname=a.txt\nsize=3\n';

const EXAMPLES: Example[] = [
  {
    name: 'Example 1: the agent start-up ANNOUNCE_CAPABILITIES(request, 0x00038DE7)',
    chunks: [ex.ex1AgentAnnounceRequest],
    port: ChunkPort.Client,
    ctx: PLAIN,
    decoded: { type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.fromWords([LINUX_AGENT_CAPS_WORD]) },
  },
  {
    name: "Example 2: spice-gtk's ANNOUNCE_CAPABILITIES(request, 0x00035077)",
    chunks: [ex.ex2ClientAnnounceRequest],
    port: ChunkPort.Client,
    ctx: PLAIN,
    decoded: { type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.fromWords([SPICE_GTK_CAPS_WORD]) },
  },
  {
    name: "Example 2: the agent's answer ANNOUNCE_CAPABILITIES(no request, 0x00038DE7)",
    chunks: [ex.ex2AgentAnnounceAnswer],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.fromWords([LINUX_AGENT_CAPS_WORD]) },
  },
  {
    name: 'Example 3: MOUSE_STATE with the left button held at (640,480) on display 0',
    chunks: [ex.ex3MouseStateLeftButton],
    port: ChunkPort.Server,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.MouseState, x: 640, y: 480, buttons: MouseButtonMask.Left, displayId: 0 },
  },
  {
    name: 'Example 3: MOUSE_STATE wheel-up press on display 1',
    chunks: [ex.ex3MouseStateWheelUp],
    port: ChunkPort.Server,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.MouseState, x: 640, y: 480, buttons: MouseButtonMask.Up, displayId: 1 },
  },
  {
    name: 'Example 4: MONITORS_CONFIG with two monitors and the physical-size trailer',
    chunks: [ex.ex4MonitorsConfig],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: {
      type: MessageType.MonitorsConfig,
      flags: MonitorsConfigFlag.UsePos | MonitorsConfigFlag.PhysicalSize,
      monitors: [
        { height: 1080, width: 1920, depth: 32, x: 0, y: 0, physical: { heightMm: 300, widthMm: 530 } },
        { height: 1200, width: 1600, depth: 32, x: 1920, y: 0, physical: { heightMm: 340, widthMm: 430 } },
      ],
    },
  },
  {
    name: 'Example 4 variant (§15.1): MONITORS_CONFIG without the PHYSICAL_SIZE trailer',
    chunks: [ex.ex4MonitorsConfigNoTrailer],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: {
      type: MessageType.MonitorsConfig,
      flags: MonitorsConfigFlag.UsePos,
      monitors: [
        { height: 1080, width: 1920, depth: 32, x: 0, y: 0 },
        { height: 1200, width: 1600, depth: 32, x: 1920, y: 0 },
      ],
    },
  },
  {
    name: 'Example 4: REPLY(MONITORS_CONFIG, SUCCESS)',
    chunks: [ex.ex4Reply],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.Reply, replyTo: MessageType.MonitorsConfig, error: ReplyError.Success },
  },
  {
    name: 'Example 5: CLIPBOARD_GRAB with selection prefix and serial 5 (bits 6 and 17 in effect)',
    chunks: [ex.ex5ClipboardGrab],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: {
      type: MessageType.ClipboardGrab,
      selection: ClipboardSelection.Clipboard,
      serial: 5,
      types: [ClipboardType.Utf8Text, ClipboardType.ImagePng],
    },
  },
  {
    name: 'Example 6: CLIPBOARD_REQUEST(PRIMARY, UTF8_TEXT) with the selection prefix',
    chunks: [ex.ex6ClipboardRequest],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.ClipboardRequest, selection: ClipboardSelection.Primary, dataType: ClipboardType.Utf8Text },
  },
  {
    name: 'Example 6: the CLIPBOARD answer (PRIMARY, UTF8_TEXT, "Hello" without NUL)',
    chunks: [ex.ex6Clipboard],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: {
      type: MessageType.Clipboard,
      selection: ClipboardSelection.Primary,
      dataType: ClipboardType.Utf8Text,
      data: Buffer.from('Hello', 'utf8'),
    },
  },
  {
    name: 'Example 6: CLIPBOARD_RELEASE(CLIPBOARD) with the 4-byte selection prefix',
    chunks: [ex.ex6ClipboardRelease],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.ClipboardRelease, selection: ClipboardSelection.Clipboard },
  },
  {
    name: 'Example 7 step 1: FILE_XFER_START with the key file and its NUL',
    chunks: [ex.ex7FileXferStart],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.FileXferStart, id: 1, keyfile },
  },
  {
    name: 'Example 7 step 2: FILE_XFER_STATUS(1, CAN_SEND_DATA)',
    chunks: [ex.ex7StatusCanSendData],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.FileXferStatus, id: 1, result: FileXferResult.CanSendData, detail: Buffer.alloc(0) },
    encoded: { type: MessageType.FileXferStatus, id: 1, result: FileXferResult.CanSendData },
  },
  {
    name: 'Example 7 step 3: FILE_XFER_DATA(1, "abc")',
    chunks: [ex.ex7FileXferData],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.FileXferData, id: 1, data: Buffer.from('abc', 'utf8') },
  },
  {
    name: 'Example 7 step 4: FILE_XFER_STATUS(1, SUCCESS)',
    chunks: [ex.ex7StatusSuccess],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.FileXferStatus, id: 1, result: FileXferResult.Success, detail: Buffer.alloc(0) },
    encoded: { type: MessageType.FileXferStatus, id: 1, result: FileXferResult.Success },
  },
  {
    name: 'Example 8: FILE_XFER_STATUS(7, NOT_ENOUGH_SPACE, 1 MiB free) to a peer with bit 14',
    chunks: [ex.ex8StatusNotEnoughSpace],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: {
      type: MessageType.FileXferStatus,
      id: 7,
      result: FileXferResult.NotEnoughSpace,
      detail: Buffer.from([0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00]),
    },
    encoded: { type: MessageType.FileXferStatus, id: 7, result: FileXferResult.NotEnoughSpace, info: { kind: 'free-space', bytes: 1048576n } },
  },
  {
    name: 'Example 8: FILE_XFER_STATUS(7, ERROR, GLIB_IO 10) with the unaligned error code',
    chunks: [ex.ex8StatusGlibIoError],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: {
      type: MessageType.FileXferStatus,
      id: 7,
      result: FileXferResult.Error,
      detail: Buffer.from([0x00, 0x0a, 0x00, 0x00, 0x00]),
    },
    encoded: {
      type: MessageType.FileXferStatus,
      id: 7,
      result: FileXferResult.Error,
      info: { kind: 'io-error', errorType: FileXferErrorType.GlibIo, errorCode: 10 },
    },
  },
  {
    name: 'Example 9: CLIENT_DISCONNECTED from the server (port 2, empty payload)',
    chunks: [ex.ex9ClientDisconnected],
    port: ChunkPort.Server,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.ClientDisconnected },
  },
  {
    name: 'Example 9: GRAPHICS_DEVICE_INFO with one entry for pci/0000/02.0 (port 2)',
    chunks: [ex.ex9GraphicsDeviceInfo],
    port: ChunkPort.Server,
    ctx: SPICE_GTK,
    decoded: {
      type: MessageType.GraphicsDeviceInfo,
      devices: [{ channelId: 0, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' }],
    },
  },
  {
    name: 'Example 10: FILE_XFER_DATA of 2100 bytes split over a 2048-byte and an 84-byte chunk',
    chunks: [ex.ex10ChunkA, ex.ex10ChunkB],
    port: ChunkPort.Client,
    ctx: SPICE_GTK,
    decoded: { type: MessageType.FileXferData, id: 2, data: ex.ex10Data },
  },
];

describe('spec §14 fixtures are self-consistent', () => {
  for (const e of EXAMPLES) {
    it(`${e.name}: chunk sizes add up to 20 + msg.size`, () => {
      const dataBytes = e.chunks.reduce((n, c) => n + c.readUInt32LE(4), 0);
      for (const c of e.chunks) {
        expect(c.readUInt32LE(0)).toBe(e.port);
        expect(c.readUInt32LE(4)).toBe(c.length - 8);
        expect(c.readUInt32LE(4)).toBeLessThanOrEqual(2048);
      }
      const first = e.chunks[0] as Buffer;
      expect(dataBytes).toBe(20 + first.readUInt32LE(24));
    });
  }
});

describe('decoding the spec §14 examples', () => {
  for (const e of EXAMPLES) {
    it(`${e.name}: decodes to the typed message`, () => {
      const { messages, errors } = reassemble(Buffer.concat(e.chunks));
      expect(errors).toEqual([]);
      expect(messages).toHaveLength(1);
      const raw = messages[0]!;
      expect(raw.port).toBe(e.port);
      expect(raw.type).toBe(e.decoded.type);
      expect(raw.opaque).toBe(0n);
      expect(decodeMessage(raw, e.ctx)).toEqual(e.decoded);
    });

    it(`${e.name}: decodes the same when the port delivers one byte at a time`, () => {
      const all = Buffer.concat(e.chunks);
      const bytes = Array.from({ length: all.length }, (_, i) => all.subarray(i, i + 1));
      const { messages, errors } = reassemble(...bytes);
      expect(errors).toEqual([]);
      expect(messages).toHaveLength(1);
      expect(decodeMessage(messages[0]!, e.ctx)).toEqual(e.decoded);
    });
  }

  it('Example 8: the NOT_ENOUGH_SPACE detail is a u64 of free bytes at payload offset 8', () => {
    const { messages } = reassemble(ex.ex8StatusNotEnoughSpace);
    const m = decodeMessage(messages[0]!, SPICE_GTK);
    if (m.type !== MessageType.FileXferStatus) throw new Error('wrong type');
    expect(m.detail?.readBigUInt64LE(0)).toBe(1048576n);
  });

  it('Example 8: the GLIB_IO detail is error_type u8 then an unaligned u32 error_code', () => {
    const { messages } = reassemble(ex.ex8StatusGlibIoError);
    const m = decodeMessage(messages[0]!, SPICE_GTK);
    if (m.type !== MessageType.FileXferStatus) throw new Error('wrong type');
    expect(m.detail?.readUInt8(0)).toBe(FileXferErrorType.GlibIo);
    expect(m.detail?.readUInt32LE(1)).toBe(10);
  });

  it('Example 10: chunk B alone carries no message header and starts with data byte 2016 (0xe0)', () => {
    expect(ex.ex10ChunkB.length).toBe(92);
    expect(ex.ex10ChunkB[8]).toBe(0xe0);
    expect(ex.ex10ChunkA.length).toBe(8 + 2048);
    expect(ex.ex10ChunkA[ex.ex10ChunkA.length - 1]).toBe(0xdf);
  });

  it('§15.3: accepts the 1-byte CLIPBOARD_RELEASE of spice-vdagentd when selection is in effect', () => {
    const { messages, errors } = reassemble(ex.ex6ClipboardReleaseOneByte);
    expect(errors).toEqual([]);
    expect(decodeMessage(messages[0]!, SPICE_GTK)).toEqual({ type: MessageType.ClipboardRelease, selection: ClipboardSelection.Primary });
  });
});

describe('encoding the spec §14 examples', () => {
  for (const e of EXAMPLES) {
    it(`${e.name}: encodes to exactly the spec bytes`, () => {
      const chunks = toChunks(e.encoded ?? e.decoded, e.ctx, e.port);
      expect(chunks.map((c) => c.toString('hex'))).toEqual(e.chunks.map((c) => c.toString('hex')));
    });
  }

  it('§15.3: re-encodes a decoded 1-byte CLIPBOARD_RELEASE with the full 4-byte prefix', () => {
    const chunks = toChunks({ type: MessageType.ClipboardRelease, selection: ClipboardSelection.Primary }, SPICE_GTK);
    const expected = Buffer.from(ex.ex6ClipboardRelease);
    expected[28] = ClipboardSelection.Primary;
    expect(Buffer.concat(chunks).toString('hex')).toBe(expected.toString('hex'));
  });
});
