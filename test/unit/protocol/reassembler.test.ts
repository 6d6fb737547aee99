/**
 * The chunk layer and per-port reassembly (spec §3, §5): interleaving, split headers, the drop and
 * resync errors, and the memory rules (memory follows bytes received, never sizes declared).
 */
import { describe, expect, it } from 'vitest';
import {
  ChunkPort,
  ClipboardSelection,
  ClipboardType,
  decodeMessage,
  ErrorCode,
  FileXferResult,
  type Message,
  MessageType,
  MIN_BLOCK_SIZE,
  type RawMessage,
  Reassembler,
  SERVER_PORT_CEILING,
  serialize,
  Severity,
  splitMessage,
  type VdagentError,
} from '../../../src/protocol/index.js';
import { ex10ChunkA, ex10ChunkB, ex10Data, ex3MouseStateLeftButton, ex9ClientDisconnected, ex9GraphicsDeviceInfo } from '../../fixtures/spec-examples.js';
import { chunk, codes, messageHeader, PLAIN, rawChunk, reassemble, recorder, SPICE_GTK } from './support.js';

const mouse: Message = { type: MessageType.MouseState, x: 10, y: 20, buttons: 0, displayId: 0 };
const request: Message = { type: MessageType.ClipboardRequest, selection: ClipboardSelection.Primary, dataType: ClipboardType.Utf8Text };
const maxClipboard: Message = { type: MessageType.MaxClipboard, max: 1234 };

/** The chunks of a message, cut into pieces of at most `maxPiece` message bytes. */
function chunksOf(m: Message, port: ChunkPort = ChunkPort.Client, maxPiece = 2048): Buffer[] {
  return splitMessage(serialize(m, SPICE_GTK), port, maxPiece);
}

/** Decodes raw messages in the spice-gtk context. */
function decodeAll(raws: RawMessage[]): Message[] {
  return raws.map((raw) => decodeMessage(raw, SPICE_GTK));
}

/** A FILE_XFER_DATA carrying `n` bytes (value k mod 251). */
function fileData(n: number, id = 1): Message {
  return { type: MessageType.FileXferData, id, data: Buffer.from(Array.from({ length: n }, (_, k) => k % 251)) };
}

describe('interleaving of chunk ports (spec §5)', () => {
  it('reassembles a port-1 message while single-chunk port-2 messages arrive between its chunks', () => {
    const big = fileData(5000);
    const [a, b, c] = chunksOf(big) as [Buffer, Buffer, Buffer];
    const { messages, errors } = reassemble(Buffer.concat([a, ex3MouseStateLeftButton, b, ex9GraphicsDeviceInfo, ex3MouseStateLeftButton, c]));
    expect(errors).toEqual([]);
    expect(messages.map((m) => [m.port, m.type])).toEqual([
      [ChunkPort.Server, MessageType.MouseState],
      [ChunkPort.Server, MessageType.GraphicsDeviceInfo],
      [ChunkPort.Server, MessageType.MouseState],
      [ChunkPort.Client, MessageType.FileXferData],
    ]);
    expect(decodeAll(messages)[3]).toEqual(big);
  });

  it('reassembles the spec Example 10 with a MOUSE_STATE between chunk A and chunk B', () => {
    const { messages, errors } = reassemble(Buffer.concat([ex10ChunkA, ex3MouseStateLeftButton, ex10ChunkB]));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([
      { type: MessageType.MouseState, x: 640, y: 480, buttons: 2, displayId: 0 },
      { type: MessageType.FileXferData, id: 2, data: ex10Data },
    ]);
  });

  it('keeps a port-1 header that is only partly received while a port-2 message goes through', () => {
    const whole = serialize(request, SPICE_GTK);
    const { messages, errors } = reassemble(chunk(1, whole.subarray(0, 7)), ex3MouseStateLeftButton, chunk(1, whole.subarray(7)));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([{ type: MessageType.MouseState, x: 640, y: 480, buttons: 2, displayId: 0 }, request]);
  });

  it('does not dispatch on the port: a MOUSE_STATE on port 1 (qemu-vdagent) is a MOUSE_STATE', () => {
    const { messages, errors } = reassemble(...chunksOf(mouse, ChunkPort.Client));
    expect(errors).toEqual([]);
    expect(messages[0]?.port).toBe(ChunkPort.Client);
    expect(decodeAll(messages)).toEqual([mouse]);
  });
});

describe('headers split across chunks and pushes', () => {
  it('collects a message header split across two chunks', () => {
    const whole = serialize(request, SPICE_GTK);
    for (const cut of [1, 10, 19]) {
      const { messages, errors } = reassemble(Buffer.concat([chunk(1, whole.subarray(0, cut)), chunk(1, whole.subarray(cut))]));
      expect(errors).toEqual([]);
      expect(decodeAll(messages)).toEqual([request]);
    }
  });

  it('collects a message header delivered one byte per chunk', () => {
    const whole = serialize(request, SPICE_GTK);
    const chunks = Array.from({ length: whole.length }, (_, i) => chunk(1, whole.subarray(i, i + 1)));
    const { messages, errors } = reassemble(Buffer.concat(chunks));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([request]);
  });

  it('collects a chunk header split across pushes', () => {
    const bytes = Buffer.concat(chunksOf(maxClipboard));
    const { messages, errors } = reassemble(bytes.subarray(0, 3), bytes.subarray(3, 5), bytes.subarray(5, 8), bytes.subarray(8));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([maxClipboard]);
  });

  it('decodes two messages that arrive in one push', () => {
    const { messages, errors } = reassemble(Buffer.concat([...chunksOf(maxClipboard), ...chunksOf(request)]));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([maxClipboard, request]);
  });
});

describe('messages with no payload', () => {
  it('dispatches a message of 0 payload bytes as soon as its header is complete', () => {
    const { r, messages } = recorder();
    r.push(ex9ClientDisconnected);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.payload).toHaveLength(0);
    expect(decodeAll(messages)).toEqual([{ type: MessageType.ClientDisconnected }]);
    expect(r.buffered).toBe(0);
  });

  it('dispatches a 0-payload message whose header was split across chunks', () => {
    const h = messageHeader(MessageType.ClientDisconnected, 0);
    const { messages, errors } = reassemble(Buffer.concat([chunk(2, h.subarray(0, 12)), chunk(2, h.subarray(12))]));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([{ type: MessageType.ClientDisconnected }]);
  });
});

describe('drop errors: the message is lost, the stream goes on', () => {
  it('ignores a zero-size chunk with EmptyChunk and loses nothing else', () => {
    const big = fileData(3000);
    const [a, b] = chunksOf(big) as [Buffer, Buffer];
    const { messages, errors } = reassemble(Buffer.concat([chunk(1, []), a, chunk(1, []), chunk(2, []), b, chunk(1, [])]));
    expect(codes(errors)).toEqual(Array(4).fill({ code: ErrorCode.EmptyChunk, severity: Severity.Drop }));
    expect(errors.map((e) => e.port)).toEqual([1, 1, 2, 1]);
    expect(decodeAll(messages)).toEqual([big]);
  });

  it('drops a message with protocol 2 (BadProtocolVersion), consumes its payload, and decodes the next', () => {
    const payload = Buffer.alloc(3000, 0x5a);
    const bad = Buffer.concat([messageHeader(MessageType.FileXferData, payload.length, 2), payload]);
    const { r, messages, errors } = recorder();
    r.push(Buffer.concat([...splitMessage(bad, 1), ...chunksOf(maxClipboard)]));
    expect(codes(errors)).toEqual([{ code: ErrorCode.BadProtocolVersion, severity: Severity.Drop }]);
    expect(errors[0]!.port).toBe(ChunkPort.Client);
    expect(decodeAll(messages)).toEqual([maxClipboard]);
    expect(r.buffered).toBe(0);
  });

  it('drops an unknown message type 99 once (UnknownMessageType), consumes it, and decodes the next', () => {
    const payload = Buffer.alloc(2500, 0x11);
    const unknown = Buffer.concat([messageHeader(99, payload.length), payload]);
    const { messages, errors } = reassemble(Buffer.concat([...splitMessage(unknown, 1), ...chunksOf(request)]));
    expect(codes(errors)).toEqual([{ code: ErrorCode.UnknownMessageType, severity: Severity.Drop }]);
    expect(decodeAll(messages)).toEqual([request]);
  });

  it('drops the non-types 0 and 17 (VD_AGENT_END_MESSAGE) as unknown', () => {
    for (const type of [0, 17]) {
      const { messages, errors } = reassemble(rawChunk(1, type, [1, 2, 3]), ...chunksOf(request));
      expect(codes(errors)).toEqual([{ code: ErrorCode.UnknownMessageType, severity: Severity.Drop }]);
      expect(decodeAll(messages)).toEqual([request]);
    }
  });

  it('drops a message declaring 4 GiB (0xFFFFFFFF) as soon as its header arrives, without buffering it', () => {
    const { r, messages, errors } = recorder();
    const first = chunk(1, Buffer.concat([messageHeader(MessageType.FileXferData, 0xffffffff), Buffer.alloc(2028, 0x77)]));
    r.push(first.subarray(0, 8 + 20));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTooLarge, severity: Severity.Drop }]);
    expect(r.buffered).toBeLessThanOrEqual(20);
    r.push(first.subarray(28));
    expect(r.buffered).toBeLessThanOrEqual(20);
    expect(r.needsResync).toBe(false);
    r.push(Buffer.concat(chunksOf(maxClipboard)));
    expect(errors).toHaveLength(1);
    expect(decodeAll(messages)).toEqual([maxClipboard]);
    expect(r.buffered).toBe(0);
  });

  it('honours a smaller maxMessageSize option: accepts up to it, drops beyond it', () => {
    const { r, messages, errors } = recorder({ maxMessageSize: 100 });
    r.push(Buffer.concat(chunksOf(fileData(88)))); // 12 + 88 = 100 bytes of payload: accepted
    r.push(Buffer.concat(chunksOf(fileData(89)))); // 101 bytes: too large
    r.push(Buffer.concat(chunksOf(maxClipboard)));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTooLarge, severity: Severity.Drop }]);
    expect(decodeAll(messages)).toEqual([fileData(88), maxClipboard]);
  });

  it('holds every type on the server port (2) to SERVER_PORT_CEILING: a clipboard over it is dropped there and taken on the client port', () => {
    const clipboard: Message = { type: MessageType.Clipboard, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text, data: Buffer.alloc(SERVER_PORT_CEILING, 0x41) };
    const { messages, errors } = reassemble(Buffer.concat(chunksOf(clipboard, ChunkPort.Server)), Buffer.concat(chunksOf(clipboard, ChunkPort.Client)), Buffer.concat(chunksOf(maxClipboard, ChunkPort.Server)));
    // Its header and each of its chunks after (read as headers declaring 0x41414141 bytes) are dropped.
    expect(new Set(codes(errors).map((e) => JSON.stringify(e)))).toEqual(new Set([JSON.stringify({ code: ErrorCode.MessageTooLarge, severity: Severity.Drop })]));
    expect(messages.map((m) => m.port)).toEqual([ChunkPort.Client, ChunkPort.Server]);
    expect(decodeAll(messages)).toEqual([clipboard, maxClipboard]);
  });

  it('reports MessageTruncated when a message stops short and a chunk that cannot belong to it arrives, which then decodes as the next message', () => {
    const big = serialize(fileData(2100), SPICE_GTK); // 2132 bytes: a first piece of 2048, 84 still missing
    const next = fileData(200); // one chunk of 232 bytes: more than the 84 missing
    const { messages, errors } = reassemble(chunk(1, big.subarray(0, 2048)), ...chunksOf(next));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTruncated, severity: Severity.Drop }]);
    expect(errors[0]!.port).toBe(ChunkPort.Client);
    expect(decodeAll(messages)).toEqual([next]);
  });

  it('takes a chunk one byte larger than what is missing as the start of a new message', () => {
    const big = serialize(fileData(2100), SPICE_GTK); // 84 bytes missing after the first piece
    const next = fileData(53); // 20 + 12 + 53 = 85 bytes: one more than missing
    const { messages, errors } = reassemble(chunk(1, big.subarray(0, 2048)), ...chunksOf(next));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTruncated, severity: Severity.Drop }]);
    expect(decodeAll(messages)).toEqual([next]);
  });

  it('drops a single chunk that carries more bytes than its message header declares (BadPayloadSize)', () => {
    const h = messageHeader(MessageType.MaxClipboard, 4);
    const overfull = chunk(1, Buffer.concat([h, Buffer.from([1, 0, 0, 0, 9, 9, 9, 9])]));
    const { messages, errors } = reassemble(Buffer.concat([overfull, ...chunksOf(request)]));
    expect(codes(errors)).toEqual([{ code: ErrorCode.BadPayloadSize, severity: Severity.Drop }]);
    expect(decodeAll(messages)).toEqual([request]);
  });

  it('drops the rest of an overfull chunk even when it arrives over several pushes', () => {
    const h = messageHeader(MessageType.MaxClipboard, 4);
    const overfull = chunk(1, Buffer.concat([h, Buffer.alloc(100, 0x01)]));
    const stream = Buffer.concat([overfull, ...chunksOf(request)]);
    const { messages, errors } = reassemble(...Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1)));
    expect(codes(errors)).toEqual([{ code: ErrorCode.BadPayloadSize, severity: Severity.Drop }]);
    expect(decodeAll(messages)).toEqual([request]);
  });

  it('drops the rest of the chunk after a too-large header and decodes the next chunk', () => {
    const h = messageHeader(MessageType.Clipboard, 0xffffffff);
    const { messages, errors } = reassemble(chunk(1, Buffer.concat([h, serialize(maxClipboard, PLAIN)])), ...chunksOf(request));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageTooLarge, severity: Severity.Drop }]);
    expect(decodeAll(messages)).toEqual([request]);
  });
});

describe('resync errors: the framing is lost until reset()', () => {
  for (const port of [0, 3, 0xffffffff]) {
    it(`reports BadChunkPort for chunk port ${port} and ignores all input until reset()`, () => {
      const { r, messages, errors } = recorder();
      r.push(chunk(port, serialize(maxClipboard, PLAIN)));
      expect(codes(errors)).toEqual([{ code: ErrorCode.BadChunkPort, severity: Severity.Resync }]);
      expect(errors[0]!.port).toBeUndefined();
      expect(r.needsResync).toBe(true);

      r.push(Buffer.concat(chunksOf(request)));
      expect(messages).toEqual([]);
      expect(errors).toHaveLength(1);

      r.reset();
      expect(r.needsResync).toBe(false);
      expect(r.buffered).toBe(0);
      r.push(Buffer.concat(chunksOf(request)));
      expect(decodeAll(messages)).toEqual([request]);
      expect(errors).toHaveLength(1);
    });
  }

  it('reports ChunkTooLarge for a chunk of 2049 bytes and ignores input until reset()', () => {
    const { r, messages, errors } = recorder();
    r.push(chunk(1, Buffer.alloc(8), 2049));
    expect(codes(errors)).toEqual([{ code: ErrorCode.ChunkTooLarge, severity: Severity.Resync }]);
    expect(r.needsResync).toBe(true);
    r.push(Buffer.concat(chunksOf(request)));
    expect(messages).toEqual([]);
    r.reset();
    r.push(Buffer.concat(chunksOf(request)));
    expect(decodeAll(messages)).toEqual([request]);
  });

  it('accepts a chunk of exactly 2048 bytes', () => {
    const { messages, errors } = reassemble(ex10ChunkA, ex10ChunkB);
    expect(ex10ChunkA.readUInt32LE(4)).toBe(2048);
    expect(errors).toEqual([]);
    expect(messages).toHaveLength(1);
  });

  it('drops a partial message on reset()', () => {
    const { r, messages, errors } = recorder();
    r.push((chunksOf(fileData(3000)) as [Buffer])[0]);
    r.reset();
    r.push(Buffer.concat(chunksOf(maxClipboard)));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([maxClipboard]);
  });
});

describe('discarding a port (CLIENT_DISCONNECTED, spec §5 and §13.1)', () => {
  it('discardPort(1) drops a partial port-1 message so the next port-1 message decodes', () => {
    const { r, messages, errors } = recorder();
    r.push((chunksOf(fileData(3000)) as [Buffer])[0]);
    expect(r.buffered).toBeGreaterThan(2000);
    r.discardPort(ChunkPort.Client);
    expect(r.buffered).toBe(0);
    r.push(Buffer.concat(chunksOf(maxClipboard))); // 28 bytes: would otherwise be taken as the missing tail
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([maxClipboard]);
  });

  it('can be called from the sink when CLIENT_DISCONNECTED arrives on port 2', () => {
    const messages: RawMessage[] = [];
    const errors: VdagentError[] = [];
    const r: Reassembler = new Reassembler({
      message: (raw) => {
        messages.push(raw);
        if (raw.type === MessageType.ClientDisconnected) r.discardPort(ChunkPort.Client);
      },
      error: (err) => errors.push(err),
    });
    r.push(Buffer.concat([(chunksOf(fileData(3000)) as [Buffer])[0], ex9ClientDisconnected, ...chunksOf(maxClipboard)]));
    expect(errors).toEqual([]);
    expect(decodeAll(messages)).toEqual([{ type: MessageType.ClientDisconnected }, maxClipboard]);
  });

  it('discardPort(1) leaves port 2 alone', () => {
    const { r, messages, errors } = recorder();
    const gdi = ex9GraphicsDeviceInfo;
    r.push(gdi.subarray(0, 30));
    r.discardPort(ChunkPort.Client);
    r.push(gdi.subarray(30));
    expect(errors).toEqual([]);
    expect(messages.map((m) => m.type)).toEqual([MessageType.GraphicsDeviceInfo]);
  });
});

describe('memory', () => {
  it('holds about the bytes fed, not the 100 MiB a CLIPBOARD declares (more in memory.test.ts)', () => {
    const { r, errors } = recorder();
    const declared = 100 * 1024 * 1024;
    const before = process.memoryUsage().arrayBuffers;
    const header = Buffer.concat([messageHeader(MessageType.Clipboard, declared), Buffer.alloc(2028, 0x42)]);
    r.push(chunk(1, header));
    expect(errors).toEqual([]);
    expect(r.buffered).toBeGreaterThan(0);
    expect(r.buffered).toBeLessThanOrEqual(MIN_BLOCK_SIZE + 20);
    for (let i = 0; i < 9; i++) r.push(chunk(1, Buffer.alloc(2048, i)));
    expect(r.buffered).toBeLessThanOrEqual(MIN_BLOCK_SIZE + 20);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(declared / 4);
  });

  it('hands out single-chunk messages of one push without copying (payload views the input)', () => {
    const stream = Buffer.concat([...chunksOf(request), ex3MouseStateLeftButton, ...chunksOf(maxClipboard)]);
    const input = Buffer.alloc(stream.length);
    stream.copy(input);
    const { messages, errors } = reassemble(input);
    expect(errors).toEqual([]);
    expect(messages).toHaveLength(3);
    for (const m of messages) expect(m.payload.buffer).toBe(input.buffer);
    expect(messages[0]!.payload.byteOffset).toBe(input.byteOffset + 8 + 20);
  });

  it('from lent input (the read buffer a port reuses), copies the single-chunk payloads a message keeps, and lends the rest to the sink while it decodes them', () => {
    const status: Message = { type: MessageType.FileXferStatus, id: 3, result: FileXferResult.Error };
    const stream = Buffer.concat([...chunksOf(request), ex3MouseStateLeftButton, ...chunksOf(fileData(100)), ...chunksOf(status), ...chunksOf(fileData(5000)), ...chunksOf(maxClipboard)]);
    const lent = Buffer.from(stream);
    const decoded: Message[] = [];
    const lentOut: boolean[] = [];
    const r = new Reassembler(
      {
        message: (raw) => {
          lentOut.push(raw.payload.buffer === lent.buffer);
          decoded.push(decodeMessage(raw, SPICE_GTK));
        },
        error: (err) => {
          throw err;
        },
      },
      { lentInput: true },
    );
    r.push(lent);
    lent.fill(0xee);
    // As decoded from input of their own.
    expect(decoded).toEqual(decodeAll(reassemble(stream).messages));
    expect(decoded[2]).toEqual(fileData(100));
    expect(lentOut).toEqual([true, true, false, false, false, true]);
  });

  it('copies a message that spans chunks into one contiguous payload', () => {
    const { messages } = reassemble(ex10ChunkA, ex10ChunkB);
    expect(messages[0]!.payload).toHaveLength(2112);
    expect(messages[0]!.payload.subarray(12).equals(ex10Data)).toBe(true);
  });
});

describe('where payloads spanning chunks are collected', () => {
  it('in the blocks the allocate option gives for their type, one payload in one block; a payload in one chunk is not copied', () => {
    const asked: [number, number][] = [];
    const { r, messages } = recorder({ allocate: (type, size) => (asked.push([type, size]), Buffer.alloc(size)) });
    r.push(Buffer.concat([...chunksOf(fileData(5000)), ...chunksOf(mouse), ...chunksOf(fileData(100))]));
    expect(asked).toEqual([[MessageType.FileXferData, 5012]]);
    expect(decodeAll(messages)).toEqual([fileData(5000), mouse, fileData(100)]);
  });
});
