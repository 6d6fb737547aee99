/**
 * Reassembly memory (spec §5): what the reassembler holds for incomplete messages stays within
 * 1.1 × the bytes received plus a constant, whatever the chunk sizes and whatever a header declares.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  CHUNK_HEADER_SIZE,
  ChunkPort,
  COLLECTOR_SLACK,
  MESSAGE_HEADER_SIZE,
  MessageType,
  type Reassembler,
  splitMessage,
} from '../../../src/protocol/index.js';
import { chunk, messageHeader, recorder } from './support.js';

/** The constant of the bound: per port a collector's slack and a message header, and a chunk header. */
const SLACK = 2 * (COLLECTOR_SLACK + MESSAGE_HEADER_SIZE) + CHUNK_HEADER_SIZE;
const DECLARED = 128 * 1024 * 1024 - 1;

/** Feeds `stream` in pushes of `push` bytes and asserts the bound after each. */
function feedWithinBound(r: Reassembler, stream: Buffer, push: number): void {
  for (let off = 0; off < stream.length; off += push) {
    r.push(stream.subarray(off, off + push));
    const received = Math.min(off + push, stream.length);
    expect(r.buffered).toBeLessThanOrEqual(1.1 * received + SLACK);
  }
}

/** A CLIPBOARD header declaring `declared` bytes followed by `payload`, in chunks of `piece` message bytes (the first holds the header). */
function clipboardStream(declared: number, payload: Buffer, piece: number): Buffer {
  return Buffer.concat(splitMessage(Buffer.concat([messageHeader(MessageType.Clipboard, declared), payload]), ChunkPort.Client, Math.max(piece, MESSAGE_HEADER_SIZE)));
}

/** `n` one-byte chunks on port 1 carrying byte values k mod 256. */
function oneByteChunks(n: number): Buffer {
  const out = Buffer.alloc(n * (CHUNK_HEADER_SIZE + 1));
  for (let k = 0; k < n; k++) {
    const o = k * (CHUNK_HEADER_SIZE + 1);
    out.writeUInt32LE(ChunkPort.Client, o);
    out.writeUInt32LE(1, o + 4);
    out[o + 8] = k & 0xff;
  }
  return out;
}

describe('memory held while reassembling', () => {
  it('holds no more than 1.1 × received + a constant for a 128 MiB − 1 header followed by 1-byte chunks', () => {
    const { r, errors } = recorder();
    const header = Buffer.concat([...messageHeader(MessageType.Clipboard, DECLARED)].map((b) => chunk(ChunkPort.Client, [b])));
    const stream = Buffer.concat([header, oneByteChunks(2_000_000)]);
    const before = process.memoryUsage();
    feedWithinBound(r, stream, 65536);
    const after = process.memoryUsage();
    expect(errors).toEqual([]);
    // The process agrees (one object per piece would be ~200 MB of heap); young garbage is the slack.
    const grown = after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers;
    expect(grown).toBeLessThan(1.1 * stream.length + 32 * 1024 * 1024);
    // 2 MB of payload held, not 15 times that and not the 128 MiB declared.
    expect(r.buffered).toBeGreaterThanOrEqual(2_000_000);
    expect(r.buffered).toBeLessThanOrEqual(1.1 * 2_000_000 + SLACK);
  });

  it('delivers a message collected from 1-byte chunks intact', () => {
    const { r, messages, errors } = recorder();
    const n = 300_000;
    const header = chunk(ChunkPort.Client, messageHeader(MessageType.Clipboard, n));
    r.push(Buffer.concat([header, oneByteChunks(n)]));
    expect(errors).toEqual([]);
    expect(messages).toHaveLength(1);
    const payload = messages[0]!.payload;
    expect(payload).toHaveLength(n);
    expect(payload.every((b, k) => b === (k & 0xff))).toBe(true);
    expect(r.buffered).toBe(0);
  });

  it('keeps within the bound for random chunk sizes and push sizes, and delivers the payload intact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_500_000 }),
        fc.integer({ min: 1, max: 2048 }),
        fc.integer({ min: 512, max: 200_000 }),
        (size, piece, push) => {
          const payload = Buffer.alloc(size);
          for (let k = 0; k < size; k += 997) payload[k] = k % 251;
          const { r, messages, errors } = recorder();
          feedWithinBound(r, clipboardStream(size, payload, piece), push);
          expect(errors).toEqual([]);
          expect(messages).toHaveLength(1);
          expect(messages[0]!.payload.equals(payload)).toBe(true);
          expect(r.buffered).toBe(0);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('holds only what arrived for a lying 128 MiB − 1 header, in any chunk sizes, and nothing after the client goes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2048 }), fc.integer({ min: 0, max: 4_000_000 }), (piece, sent) => {
        const { r, errors } = recorder();
        const stream = clipboardStream(DECLARED, Buffer.alloc(sent, 0x42), piece);
        const before = process.memoryUsage().arrayBuffers;
        feedWithinBound(r, stream, 65536);
        expect(errors).toEqual([]);
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1.1 * sent + SLACK);
        r.discardPort(ChunkPort.Client);
        expect(r.buffered).toBe(0);
      }),
      { numRuns: 20 },
    );
  });

  it('holds a message being collected on each port within the bound at once', () => {
    const { r, messages, errors } = recorder();
    const a = splitMessage(Buffer.concat([messageHeader(MessageType.Clipboard, 1_000_000), Buffer.alloc(1_000_000, 1)]), ChunkPort.Client, 700);
    const b = splitMessage(Buffer.concat([messageHeader(MessageType.GraphicsDeviceInfo, 4000), Buffer.alloc(4000)]), ChunkPort.Server, 20);
    // The port-2 chunks slip in between the port-1 chunks, one after every other.
    const stream = Buffer.concat(a.flatMap((c, i) => (i % 2 === 1 && b[i >> 1] ? [c, b[i >> 1] as Buffer] : [c])));
    feedWithinBound(r, stream, 4096);
    expect(errors).toEqual([]);
    expect(messages.map((m) => m.type)).toEqual([MessageType.GraphicsDeviceInfo, MessageType.Clipboard]);
  });

  it('collects a spice-gtk file block (64 KiB + 12 bytes in 33 chunks) straight into the payload it hands out, with no join', () => {
    const { r, messages, errors } = recorder();
    const stream = Buffer.concat(splitMessage(Buffer.concat([messageHeader(MessageType.FileXferData, 65536 + 12), Buffer.alloc(65536 + 12, 7)])));
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      r.push(stream);
      expect(concat).not.toHaveBeenCalled();
    } finally {
      concat.mockRestore();
    }
    expect(errors).toEqual([]);
    expect(messages[0]!.payload.equals(Buffer.alloc(65548, 7))).toBe(true);
  });
});
