/**
 * Properties of the chunk layer (spec §3, §5): any valid stream — port-1 messages cut into
 * arbitrary pieces of 20…2048 bytes, single-chunk port-2 messages slipped in between any two
 * chunks, the whole cut at arbitrary points into pushes — decodes to the same messages per port,
 * with no error. And splitMessage cuts the way spec §3.2 requires.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CapabilitySet,
  ChunkPort,
  type CodecContext,
  decodeMessage,
  FileXferErrorType,
  FileXferResult,
  hasGrabSerial,
  hasSelection,
  type Message,
  MessageType,
  MonitorsConfigFlag,
  ReplyError,
  serialize,
  serializeMessage,
  splitMessage,
  splitParts,
  toChunks,
  Capability,
} from '../../../src/protocol/index.js';
import { CONTEXTS, recorder } from './support.js';

const NUM_RUNS = 200;

// -------------------------------------------------------------------------------------------------
// Arbitraries: typed messages that satisfy the rules, with what decoding must give back
// -------------------------------------------------------------------------------------------------

/** A message to send, what the receiver decodes (same context on both ends), and its chunk port. */
interface Case {
  msg: Message;
  expected: Message;
  port: ChunkPort;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
/** Any Unicode text without NUL (NUL terminates key files and device addresses). */
const text = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength }).map((s) => s.replaceAll('\0', ''));

/** The same message decodes back. */
const same = (port: ChunkPort) => (msg: Message): Case => ({ msg, expected: msg, port });

/** FILE_XFER_STATUS as the peer sees it, per spec §10.1 (downgrade without bit 14, details with it). */
function statusCase(ctx: CodecContext, id: number, result: FileXferResult, info: Extract<Message, { type: MessageType.FileXferStatus }>['info']): Case {
  const msg: Message = { type: MessageType.FileXferStatus, id, result, ...(info ? { info } : {}) };
  if (!ctx.peerCaps.has(Capability.FileXferDetailedErrors)) {
    const downgraded = result >= FileXferResult.NotEnoughSpace ? FileXferResult.Error : result;
    return { msg, expected: { type: MessageType.FileXferStatus, id, result: downgraded, detail: Buffer.alloc(0) }, port: ChunkPort.Client };
  }
  let detail = Buffer.alloc(0);
  if (result === FileXferResult.NotEnoughSpace && info?.kind === 'free-space') {
    detail = Buffer.alloc(8);
    detail.writeBigUInt64LE(info.bytes);
  } else if (result === FileXferResult.Error && info?.kind === 'io-error') {
    detail = Buffer.alloc(5);
    detail.writeUInt8(info.errorType, 0);
    detail.writeUInt32LE(info.errorCode, 1);
  }
  return { msg, expected: { type: MessageType.FileXferStatus, id, result, detail }, port: ChunkPort.Client };
}

function caseArb(ctx: CodecContext): fc.Arbitrary<Case> {
  const selection = hasSelection(ctx) ? fc.constantFrom(0, 1, 2) : fc.constant(0);
  const serial = hasGrabSerial(ctx) ? u32.map((s) => ({ serial: s })) : fc.constant({});
  const monitor = (physical: boolean) =>
    fc
      .record({ height: u32, width: u32, depth: u32, x: i32, y: i32, heightMm: u16, widthMm: u16 })
      .map(({ heightMm, widthMm, ...m }) => (physical ? { ...m, physical: { heightMm, widthMm } } : m));

  return fc.oneof(
    fc.record({ x: u32, y: u32, buttons: u32, displayId: u8 }).map((f) => same(ChunkPort.Server)({ type: MessageType.MouseState, ...f })),
    u32.chain((flags) =>
      fc
        .array(monitor((flags & MonitorsConfigFlag.PhysicalSize) !== 0), { maxLength: 100 })
        .map((monitors) => same(ChunkPort.Client)({ type: MessageType.MonitorsConfig, flags, monitors })),
    ),
    fc.record({ replyTo: u32, error: fc.constantFrom(ReplyError.Success, ReplyError.Error) }).map((f) => same(ChunkPort.Client)({ type: MessageType.Reply, ...f })),
    fc.record({ selection, dataType: u32, data: bytes(6000) }).map((f) => same(ChunkPort.Client)({ type: MessageType.Clipboard, ...f })),
    fc.record({ flags: u32, depth: u32 }).map((f) => same(ChunkPort.Client)({ type: MessageType.DisplayConfig, ...f })),
    fc
      .record({ request: fc.boolean(), words: fc.array(u32, { maxLength: 4 }) })
      .map(({ request, words }) => same(ChunkPort.Client)({ type: MessageType.AnnounceCapabilities, request, caps: CapabilitySet.fromWords(words) })),
    fc.record({ selection, serial, types: fc.array(u32, { maxLength: 600 }) }).map(({ selection, serial, types }) => same(ChunkPort.Client)({ type: MessageType.ClipboardGrab, selection, ...serial, types })),
    fc.record({ selection, dataType: u32 }).map((f) => same(ChunkPort.Client)({ type: MessageType.ClipboardRequest, ...f })),
    selection.map((s) => same(ChunkPort.Client)({ type: MessageType.ClipboardRelease, selection: s })),
    fc.record({ id: u32, keyfile: text(1000) }).map((f) => same(ChunkPort.Client)({ type: MessageType.FileXferStart, ...f })),
    fc
      .record({
        id: u32,
        result: fc.integer({ min: 0, max: 7 }),
        info: fc.option(
          fc.oneof(
            fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }).map((bytes) => ({ kind: 'free-space' as const, bytes })),
            u32.map((errorCode) => ({ kind: 'io-error' as const, errorType: FileXferErrorType.GlibIo, errorCode })),
          ),
          { nil: undefined },
        ),
      })
      .map(({ id, result, info }) => statusCase(ctx, id, result, info)),
    fc.record({ id: u32, data: bytes(6000) }).map((f) => same(ChunkPort.Client)({ type: MessageType.FileXferData, ...f })),
    fc.constant(same(ChunkPort.Server)({ type: MessageType.ClientDisconnected })),
    i32.map((max) => same(ChunkPort.Client)({ type: MessageType.MaxClipboard, max })),
    fc
      .record({ isPlayback: fc.boolean(), mute: fc.boolean(), volumes: fc.array(u16, { maxLength: 255 }) })
      .map((f) => same(ChunkPort.Client)({ type: MessageType.AudioVolumeSync, ...f })),
    fc
      .array(fc.record({ channelId: u32, monitorId: u32, deviceDisplayId: u32, deviceAddress: text(20) }), { maxLength: 4 })
      .map((devices) => same(ChunkPort.Server)({ type: MessageType.GraphicsDeviceInfo, devices })),
  );
}

/** A stream of messages in one context, with the choices that turn it into pushes. */
const streamArb = fc.constantFrom(...CONTEXTS).chain(([ctxName, ctx]) =>
  fc.record({
    ctxName: fc.constant(ctxName),
    ctx: fc.constant(ctx),
    items: fc.array(fc.record({ c: caseArb(ctx), piece: fc.integer({ min: 20, max: 2048 }) }), { maxLength: 12 }),
    /** true: next chunk from port 2 (if any left), false: from port 1. */
    merge: fc.array(fc.boolean(), { maxLength: 200 }),
    /** Where to cut the byte stream into pushes (taken modulo its length). */
    cuts: fc.array(fc.nat(), { maxLength: 60 }),
  }),
);

/** What buildStream needs from a generated stream. */
interface StreamPlan {
  ctx: CodecContext;
  items: Array<{ c: Case; piece: number }>;
  merge: boolean[];
}

/** Builds the wire bytes: port-1 chunks in order, port-2 single chunks slipped in between. */
function buildStream(s: StreamPlan): Buffer {
  const p1: Buffer[] = [];
  const p2: Buffer[] = [];
  for (const { c, piece } of s.items) {
    const wire = serialize(c.msg, s.ctx);
    if (c.port === ChunkPort.Server) {
      const chunks = splitMessage(wire, ChunkPort.Server);
      expect(chunks, 'a server message is one chunk').toHaveLength(1);
      p2.push(...chunks);
    } else {
      p1.push(...splitMessage(wire, ChunkPort.Client, piece));
    }
  }
  const out: Buffer[] = [];
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < p1.length || j < p2.length) {
    const takeServer = j < p2.length && (i >= p1.length || s.merge[k++] === true);
    out.push(takeServer ? (p2[j++] as Buffer) : (p1[i++] as Buffer));
  }
  return Buffer.concat(out);
}

/** Cuts `stream` at the given points (mod its length) into consecutive pushes. */
function cutInto(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    pieces.push(stream.subarray(prev, p));
    prev = p;
  }
  return pieces;
}

// -------------------------------------------------------------------------------------------------
// Properties
// -------------------------------------------------------------------------------------------------

describe('any valid stream decodes to the messages sent, per port, without error', () => {
  it('holds for arbitrary messages, piece sizes, interleavings and push boundaries', () => {
    fc.assert(
      fc.property(streamArb, (s) => {
        const stream = buildStream(s);
        const { r, messages, errors } = recorder();
        for (const push of cutInto(stream, s.cuts)) r.push(push);

        expect(errors.map((e) => e.err.code)).toEqual([]);
        expect(r.buffered).toBe(0);
        const byPort = (port: ChunkPort): Message[] => messages.filter((m) => m.port === port).map((m) => decodeMessage(m, s.ctx));
        const expectedByPort = (port: ChunkPort): Message[] => s.items.filter(({ c }) => c.port === port).map(({ c }) => c.expected);
        expect(byPort(ChunkPort.Client)).toEqual(expectedByPort(ChunkPort.Client));
        expect(byPort(ChunkPort.Server)).toEqual(expectedByPort(ChunkPort.Server));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('holds when every byte is its own push (small streams)', () => {
    const small = fc.constantFrom(...CONTEXTS).chain(([, ctx]) =>
      fc.record({
        ctx: fc.constant(ctx),
        items: fc.array(fc.record({ c: caseArb(ctx), piece: fc.integer({ min: 20, max: 64 }) }), { maxLength: 3 }),
        merge: fc.array(fc.boolean(), { maxLength: 50 }),
      }),
    );
    fc.assert(
      fc.property(small, (s) => {
        const stream = buildStream(s);
        const { r, messages, errors } = recorder();
        for (let i = 0; i < stream.length; i++) r.push(stream.subarray(i, i + 1));
        expect(errors).toEqual([]);
        const decoded = (port: ChunkPort): Message[] => messages.filter((m) => m.port === port).map((m) => decodeMessage(m, s.ctx));
        expect(decoded(ChunkPort.Client)).toEqual(s.items.filter(({ c }) => c.port === ChunkPort.Client).map(({ c }) => c.expected));
        expect(decoded(ChunkPort.Server)).toEqual(s.items.filter(({ c }) => c.port === ChunkPort.Server).map(({ c }) => c.expected));
      }),
      { numRuns: 30 },
    );
  });
});

describe('splitMessage cuts like spice-gtk (spec §3.2)', () => {
  const messageArb = fc.record({
    type: fc.integer({ min: 1, max: 16 }),
    payload: fc.oneof(bytes(100), bytes(10_000)),
    maxPiece: fc.option(fc.integer({ min: 20, max: 2048 }), { nil: undefined }),
    port: fc.constantFrom(ChunkPort.Client, ChunkPort.Server),
  });

  it('keeps every chunk within 2048 data bytes, the whole header in the first, and the bytes in order', () => {
    fc.assert(
      fc.property(messageArb, ({ type, payload, maxPiece, port }) => {
        const message = serializeMessage(type, payload);
        const chunks = splitMessage(message, port, maxPiece);
        const limit = maxPiece ?? 2048;

        expect(chunks).toHaveLength(Math.ceil(message.length / limit));
        for (const c of chunks) {
          expect(c.readUInt32LE(0)).toBe(port);
          const size = c.readUInt32LE(4);
          expect(size).toBe(c.length - 8);
          expect(size).toBeGreaterThanOrEqual(1);
          expect(size).toBeLessThanOrEqual(limit);
          expect(size).toBeLessThanOrEqual(2048);
        }
        const first = chunks[0] as Buffer;
        expect(first.readUInt32LE(4)).toBe(Math.min(limit, message.length));
        expect(first.readUInt32LE(4)).toBeGreaterThanOrEqual(20);
        expect(first.subarray(8, 28).equals(message.subarray(0, 20))).toBe(true);
        expect(Buffer.concat(chunks.map((c) => c.subarray(8))).equals(message)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('cuts a message given in parts exactly as the same bytes given whole, wherever the parts end', () => {
    const arb = fc.record({ payload: bytes(10_000), cuts: fc.array(fc.nat(), { maxLength: 6 }), maxPiece: fc.integer({ min: 20, max: 2048 }) });
    fc.assert(
      fc.property(arb, ({ payload, cuts, maxPiece }) => {
        const message = serializeMessage(MessageType.Clipboard, payload);
        const ends = [...new Set(cuts.map((c) => c % (message.length + 1))), message.length].sort((a, b) => a - b);
        const parts = ends.map((end, i) => message.subarray(i === 0 ? 0 : (ends[i - 1] as number), end));
        expect(splitParts(parts, ChunkPort.Client, maxPiece)).toEqual(splitMessage(message, ChunkPort.Client, maxPiece));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('refuses pieces too small to hold the 20-byte header', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 19 }), (maxPiece) => {
        expect(() => splitMessage(serializeMessage(MessageType.ClientDisconnected, Buffer.alloc(0)), ChunkPort.Client, maxPiece)).toThrow(RangeError);
      }),
      { numRuns: 25 },
    );
  });

  it('toChunks keeps every typed message within the same limits', () => {
    const arb = fc.constantFrom(...CONTEXTS).chain(([, ctx]) => fc.record({ ctx: fc.constant(ctx), c: caseArb(ctx) }));
    fc.assert(
      fc.property(arb, ({ ctx, c }) => {
        const chunks = toChunks(c.msg, ctx);
        const message = serialize(c.msg, ctx);
        for (const ch of chunks) {
          expect(ch.readUInt32LE(0)).toBe(ChunkPort.Client);
          expect(ch.readUInt32LE(4)).toBeLessThanOrEqual(2048);
        }
        expect((chunks[0] as Buffer).readUInt32LE(4)).toBeGreaterThanOrEqual(20);
        expect(Buffer.concat(chunks.map((ch) => ch.subarray(8))).equals(message)).toBe(true);
        expect(message.readUInt32LE(16)).toBe(message.length - 20);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
