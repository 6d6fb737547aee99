/**
 * A client's stream cut in the middle of a message (semi-seamless migration: the new client's
 * first chunk lands where the rest of a half-received message was due), and file data that merely
 * looks like a message header at a chunk's start, which must never be taken for a cut.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CapabilitySet,
  ChunkPort,
  ClipboardSelection,
  ClipboardType,
  decodeMessage,
  ErrorCode,
  type Message,
  MessageType,
  type RawMessage,
  serialize,
  Severity,
  splitMessage,
} from '../../../src/protocol/index.js';
import { codes, messageHeader, reassemble, recorder, SPICE_GTK, SPICE_GTK_CAPS_WORD } from './support.js';

/** spice-gtk's first message as a new client: 20 + 8 bytes, one chunk of 28. */
const announce: Message = { type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.fromWords([SPICE_GTK_CAPS_WORD]) };
const maxClipboard: Message = { type: MessageType.MaxClipboard, max: 104857600 };
const request: Message = { type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text };
/** FILE_XFER_DATA payload bytes before the file's bytes (id and size). */
const DATA_PREFIX = 12;

/** The chunks spice-gtk and spice-server make of a message: pieces of min(2048, bytes left). */
function chunksOf(m: Message): Buffer[] {
  return splitMessage(serialize(m, SPICE_GTK), ChunkPort.Client);
}

function fileData(data: Buffer, id = 7): Message {
  return { type: MessageType.FileXferData, id, data };
}

function decodeAll(raws: RawMessage[]): Message[] {
  return raws.map((raw) => decodeMessage(raw, SPICE_GTK));
}

/** Offsets in a FILE_XFER_DATA's file bytes that land on a chunk's first byte when spice-gtk cuts it. */
function chunkStartsInFile(length: number): number[] {
  const starts: number[] = [];
  for (let msgOff = 2048; msgOff < 20 + DATA_PREFIX + length; msgOff += 2048) starts.push(msgOff - 20 - DATA_PREFIX);
  return starts;
}

/** 64 KiB of file bytes (value k mod 251). */
const block = Buffer.from(Array.from({ length: 65536 }, (_, k) => k % 251));

describe('a new client cutting into a half-received message (semi-seamless migration)', () => {
  /** A 64 KiB DATA of which the agent got 23 chunks (47 084 bytes, ~46 KB), then a new client's messages. */
  const cutStream = (): Buffer[] => [...chunksOf(fileData(block)).slice(0, 23), ...chunksOf(announce), ...chunksOf(maxClipboard), ...chunksOf(request)];

  it('drops the half message with MessageCut and reads the announce and what follows', () => {
    const { messages, errors } = reassemble(Buffer.concat(cutStream()));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageCut, severity: Severity.Drop }]);
    expect(errors[0]!.port).toBe(ChunkPort.Client);
    expect(errors[0]!.err.messageType).toBe(MessageType.FileXferData);
    expect(decodeAll(messages)).toEqual([announce, maxClipboard, request]);
  });

  it('recognises the cut however the bytes are delivered: one byte per read', () => {
    const { r, messages, errors } = recorder();
    const stream = Buffer.concat(cutStream());
    for (let i = 0; i < stream.length; i++) r.push(stream.subarray(i, i + 1));
    expect(codes(errors)).toEqual([{ code: ErrorCode.MessageCut, severity: Severity.Drop }]);
    expect(decodeAll(messages)).toEqual([announce, maxClipboard, request]);
    expect(r.buffered).toBe(0);
  });

  it('recognises a cut just before the last piece (32 bytes due, 28 come)', () => {
    const pieces = chunksOf(fileData(block));
    const { messages, errors } = reassemble(...pieces.slice(0, -1), ...chunksOf(announce));
    expect(pieces.at(-1)!.length - 8).toBe(32);
    expect(codes(errors).map((e) => e.code)).toEqual([ErrorCode.MessageCut]);
    expect(decodeAll(messages)).toEqual([announce]);
  });

  it('a chunk larger than what is due stays MessageTruncated, as before', () => {
    const pieces = chunksOf(fileData(block.subarray(0, 2030))); // 2048 + 14: 14 due
    const { messages, errors } = reassemble(pieces[0]!, ...chunksOf(announce));
    expect(codes(errors).map((e) => e.code)).toEqual([ErrorCode.MessageTruncated]);
    expect(decodeAll(messages)).toEqual([announce]);
  });

  it('misses the cut only when the new chunk is exactly the piece that was due (residual risk)', () => {
    const data = block.subarray(0, 2048 - 20 - DATA_PREFIX + 28); // 2048 + 28: the last piece is 28, like the announce
    const pieces = chunksOf(fileData(data));
    const { messages, errors } = reassemble(pieces[0]!, ...chunksOf(announce), ...chunksOf(maxClipboard));
    expect(errors).toEqual([]);
    expect(messages.map((m) => m.type)).toEqual([MessageType.FileXferData, MessageType.MaxClipboard]);
  });

  it('misses the cut when a full chunk was due and the new first message fills one (residual risk)', () => {
    const pieces = chunksOf(fileData(block)); // 2048 due after any piece but the last two
    const next = fileData(block.subarray(0, 5000), 8); // its first piece is a full 2048, like what was due
    const { messages, errors } = reassemble(...pieces.slice(0, 10), ...chunksOf(next));
    expect(errors).toEqual([]);
    expect(messages).toEqual([]);
  });
});

describe('file data that looks like a message header at a chunk start is received intact', () => {
  const announceBytes = serialize(announce, SPICE_GTK);

  /** 64 KiB of file bytes with `stamp(i, due)` written at the i-th chunk start (`due`: message bytes still due there). */
  function stamped(length: number, stamp: (i: number, due: number) => Buffer): Buffer {
    const data = Buffer.from(block.subarray(0, length));
    chunkStartsInFile(length).forEach((off, i) => {
      const due = 20 + DATA_PREFIX + length - (off + 20 + DATA_PREFIX);
      stamp(i, due).copy(data, off);
    });
    return data;
  }

  const stamps: ReadonlyArray<readonly [string, (i: number, due: number) => Buffer]> = [
    ['a whole ANNOUNCE_CAPABILITIES(request=1)', () => announceBytes],
    ['a header declaring exactly the piece due', (_i, due) => messageHeader(MessageType.ClipboardGrab, Math.min(2048, due) - 20)],
    ['a FILE_XFER_DATA header of a 64 KiB block', () => messageHeader(MessageType.FileXferData, 65536 + DATA_PREFIX)],
    ['a header of every defined type in turn', (i) => messageHeader(1 + (i % 16), 8)],
  ];

  for (const [what, stamp] of stamps) {
    it(`${what} at every chunk start`, () => {
      for (const length of [65536, 65536 - 2048 + 8, 2048 * 3 - 32]) {
        const data = stamped(length, stamp);
        const sent = fileData(data);
        const { messages, errors } = reassemble(...chunksOf(sent), ...chunksOf(announce));
        expect(errors).toEqual([]);
        expect(decodeAll(messages)).toEqual([sent, announce]);
      }
    });
  }

  it('whole messages of every size back to back inside the file: no cut, byte for byte', () => {
    const messages: Buffer[] = [];
    for (let size = 0; messages.reduce((n, m) => n + m.length, 0) < 65536; size = (size + 37) % 2028) {
      messages.push(Buffer.concat([messageHeader(MessageType.ClipboardGrab, size), Buffer.alloc(size, 0x41)]));
    }
    const sent = fileData(Buffer.concat(messages).subarray(0, 65536));
    const out = reassemble(...chunksOf(sent));
    expect(out.errors).toEqual([]);
    expect(decodeAll(out.messages)).toEqual([sent]);
  });
});

describe('property: a spice-gtk stream, cut or not, never loses or corrupts a whole message', () => {
  /** File bytes built from random bytes and pieces of real message headers. */
  const fileBytes = fc
    .array(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.constantFrom(serialize(announce, SPICE_GTK), messageHeader(MessageType.FileXferData, 65548), messageHeader(MessageType.MaxClipboard, 4)),
        fc.integer({ min: 0, max: 2028 }).map((n) => messageHeader(MessageType.ClipboardGrab, n)),
      ),
      { minLength: 20, maxLength: 400, size: 'large' },
    )
    .map((parts) => Buffer.concat(parts).subarray(0, 65536));
  const stream = fc.array(fc.oneof(fileBytes.map((b) => fileData(Buffer.from(b))), fc.constant(maxClipboard), fc.constant(request)), {
    minLength: 1,
    maxLength: 6,
  });

  it('without a cut every message comes out as sent', () => {
    fc.assert(
      fc.property(stream, (sent) => {
        const { messages, errors } = reassemble(Buffer.concat(sent.flatMap(chunksOf)));
        expect(errors).toEqual([]);
        expect(decodeAll(messages)).toEqual(sent);
      }),
      { numRuns: 200 },
    );
  });

  it('a cut after any chunk of a spanning message drops exactly that message, and the new client is heard', () => {
    fc.assert(
      fc.property(stream, fc.nat(), fc.nat(), (sent, which, where) => {
        const spanning = sent.map((m, i) => [i, chunksOf(m)] as const).filter(([, c]) => c.length > 1);
        fc.pre(spanning.length > 0);
        const [index, pieces] = spanning[which % spanning.length]!;
        const kept = 1 + (where % (pieces.length - 1));
        const due = pieces.slice(kept).reduce((n, c) => n + c.length - 8, 0);
        const after = [announce, maxClipboard];
        const bytes = [...sent.slice(0, index).flatMap(chunksOf), ...pieces.slice(0, kept), ...after.flatMap(chunksOf)];
        const { messages, errors } = reassemble(Buffer.concat(bytes));
        const cutCode = due < 28 ? ErrorCode.MessageTruncated : ErrorCode.MessageCut;
        fc.pre(due !== 28); // the residual risk, tested on its own above
        expect(codes(errors).map((e) => e.code)).toEqual([cutCode]);
        expect(decodeAll(messages)).toEqual([...sent.slice(0, index), ...after]);
      }),
      { numRuns: 300 },
    );
  });
});
