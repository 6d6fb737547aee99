/**
 * What the agent writes for a message (toWire): the same bytes as its chunks (toChunks), with
 * bulk data referenced instead of copied, so that a large clipboard is not held twice.
 */
import { describe, expect, it } from 'vitest';
import {
  Capability,
  CapabilitySet,
  ChunkPort,
  ClipboardSelection,
  ClipboardType,
  type CodecContext,
  type Message,
  MessageType,
  NO_PEER,
  REFERENCED_PART,
  toChunks,
  toWire,
} from '../../../src/protocol/index.js';

const withSelection: CodecContext = { peerCaps: CapabilitySet.of(Capability.ClipboardSelection) };
const clipboard = (size: number): Message => ({
  type: MessageType.Clipboard,
  selection: ClipboardSelection.Clipboard,
  dataType: ClipboardType.Utf8Text,
  data: Buffer.alloc(size, 0x61),
});

describe('the wire form of a message the agent sends', () => {
  const cases: [string, Message, CodecContext][] = [
    ['a small message', { type: MessageType.ClipboardRequest, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text }, withSelection],
    ['an empty clipboard', clipboard(0), NO_PEER],
    ['a clipboard just below the referenced size', clipboard(REFERENCED_PART - 1), NO_PEER],
    ['a clipboard of the referenced size', clipboard(REFERENCED_PART), withSelection],
    ['a 1 MiB clipboard', clipboard((1 << 20) + 7), withSelection],
    ['file data', { type: MessageType.FileXferData, id: 3, data: Buffer.alloc(65536, 0x5a) }, NO_PEER],
  ];
  for (const [name, message, ctx] of cases) {
    it(`is the bytes of its chunks, for ${name}, on both chunk ports`, () => {
      for (const port of [ChunkPort.Client, ChunkPort.Server]) {
        expect(Buffer.concat(toWire(message, ctx, port)).equals(Buffer.concat(toChunks(message, ctx, port)))).toBe(true);
      }
    });
  }

  it('is one buffer for a message of small fields, even over several chunks', () => {
    expect(toWire(clipboard(REFERENCED_PART - 1), NO_PEER)).toHaveLength(1);
  });

  it('refers to a large payload instead of copying it: per chunk a header, then a view of the data', () => {
    const message = clipboard(16 * 2048);
    const data = (message as { data: Buffer }).data;
    const pieces = toWire(message, NO_PEER);
    const views = pieces.filter((p) => p.buffer === data.buffer);
    const chunks = toChunks(message, NO_PEER).length;
    expect(pieces).toHaveLength(2 * chunks);
    expect(views).toHaveLength(chunks);
    expect(views.reduce((n, v) => n + v.length, 0)).toBe(data.length);
    // What is copied: the chunk headers, the message header and the clipboard's fixed fields.
    expect(pieces.filter((p) => p.buffer !== data.buffer).reduce((n, p) => n + p.length, 0)).toBe(8 * chunks + 20 + 4);
  });
});
