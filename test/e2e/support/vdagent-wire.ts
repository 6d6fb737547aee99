import { CapabilitySet, type CodecContext, decodeMessage, type Message, toChunks } from '../../../src/protocol/index.js';

/** One message as it crossed the port: its chunk port, the sizes of the chunks it came in, its payload. */
export interface WireMessage {
  port: number;
  type: number;
  /** The data size of each chunk that carried it, in order. */
  chunkSizes: number[];
  payload: Buffer;
}

const CHUNK_HEADER = 8;
const MESSAGE_HEADER = 20;

/**
 * Reads the raw bytes a host wrote to the agent's port: chunk headers (spec §3) and message
 * headers (spec §4), keeping every chunk's size so a peer's way of cutting can be asserted.
 */
export class WireReader {
  /** Every complete message so far, in order of completion. */
  readonly messages: WireMessage[] = [];
  private pending = Buffer.alloc(0);
  private readonly partial = new Map<number, { bytes: Buffer; chunkSizes: number[] }>();

  /** Takes the next bytes read from the port. */
  push(bytes: Buffer): void {
    this.pending = Buffer.concat([this.pending, bytes]);
    while (this.pending.length >= CHUNK_HEADER) {
      const port = this.pending.readUInt32LE(0);
      const size = this.pending.readUInt32LE(4);
      if (this.pending.length < CHUNK_HEADER + size) return;
      const data = this.pending.subarray(CHUNK_HEADER, CHUNK_HEADER + size);
      this.pending = this.pending.subarray(CHUNK_HEADER + size);
      const held = this.partial.get(port) ?? { bytes: Buffer.alloc(0), chunkSizes: [] };
      held.bytes = Buffer.concat([held.bytes, data]);
      held.chunkSizes.push(size);
      this.partial.set(port, held);
      if (held.bytes.length < MESSAGE_HEADER) continue;
      const payloadSize = held.bytes.readUInt32LE(16);
      if (held.bytes.length < MESSAGE_HEADER + payloadSize) continue;
      this.messages.push({ port, type: held.bytes.readUInt32LE(4), chunkSizes: held.chunkSizes, payload: held.bytes.subarray(MESSAGE_HEADER, MESSAGE_HEADER + payloadSize) });
      this.partial.delete(port);
    }
  }

  /** The messages of `type`, decoded as the agent decodes them given the peer's capabilities. */
  decoded(type: number, peerCaps: CapabilitySet): Message[] {
    const ctx: CodecContext = { peerCaps };
    return this.messages.filter((m) => m.type === type).map((m) => decodeMessage(m, ctx));
  }
}

/** The bytes the agent writes for `message`, laid out for a peer with `peerCaps`. */
export function agentBytes(message: Message, peerCaps: CapabilitySet = CapabilitySet.empty): Buffer {
  return Buffer.concat(toChunks(message, { peerCaps }));
}

/** ANNOUNCE_CAPABILITIES' first capability word (spec §6.2), as the peer wrote it. */
export function capabilityWord(announce: WireMessage): number {
  return announce.payload.readUInt32LE(4);
}
