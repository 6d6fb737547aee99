import {
  CapabilitySet,
  ChunkPort,
  CHUNK_HEADER_SIZE,
  END_CAP,
  MAX_CHUNK_DATA_SIZE,
  MESSAGE_HEADER_SIZE,
  type Message,
  MessageType,
  serialize,
  writeChunkHeader,
} from '../../src/protocol/index.js';
import type { SeededRandom } from './seeded-random.js';

/** A context announcing every capability: clipboard messages carry their selection and serial. */
const ALL_CAPS = { peerCaps: CapabilitySet.of(...Array.from({ length: END_CAP }, (_, i) => i)) };
/** Types spice-server itself sends, on chunk port 2. */
const SERVER_TYPES = new Set([MessageType.MouseState, MessageType.ClientDisconnected, MessageType.GraphicsDeviceInfo]);
/** A chunk port that is neither the client's nor the server's. */
const FOREIGN_PORTS = [0, 3, 255, 0x10001, 0xffffffff];

/** A valid message of the given type with random fields (small payloads, at most 64 KiB of data). */
function validMessage(rng: SeededRandom, type: MessageType): Message {
  const small = (): number => rng.int(0, 3);
  const text = (n: number): string => rng.bytes(n).toString('latin1');
  switch (type) {
    case MessageType.MouseState:
      return { type, x: rng.int(0, 4095), y: rng.int(0, 2159), buttons: rng.int(0, 0x7f), displayId: small() };
    case MessageType.MonitorsConfig:
      return {
        type,
        flags: small(),
        monitors: Array.from({ length: rng.int(0, 4) }, () => ({ width: rng.int(0, 4096), height: rng.int(0, 2160), depth: 32, x: rng.int(0, 4096), y: rng.int(0, 2160), physical: { widthMm: rng.int(0, 600), heightMm: rng.int(0, 400) } })),
      };
    case MessageType.Reply:
      return { type, replyTo: rng.int(1, 16), error: rng.int(1, 2) };
    case MessageType.Clipboard:
      return { type, selection: small() % 3, dataType: rng.int(0, 6), data: rng.bytes(rng.int(0, rng.chance(0.05) ? 65536 : 512)) };
    case MessageType.DisplayConfig:
      return { type, flags: small(), depth: 32 };
    case MessageType.AnnounceCapabilities:
      return { type, request: rng.chance(0.5), caps: CapabilitySet.fromWords([rng.int(0, 0xffffffff)]) };
    case MessageType.ClipboardGrab:
      return { type, selection: small() % 3, serial: rng.int(0, 10), types: Array.from({ length: rng.int(0, 4) }, () => rng.int(0, 6)) };
    case MessageType.ClipboardRequest:
      return { type, selection: small() % 3, dataType: rng.int(0, 6) };
    case MessageType.ClipboardRelease:
      return { type, selection: small() % 3 };
    case MessageType.FileXferStart:
      return { type, id: rng.int(1, 8), keyfile: `[vdagent-file-xfer]\nname=${rng.chance(0.5) ? `f${rng.int(0, 9)}.bin` : text(rng.int(0, 40))}\nsize=${rng.int(0, 70000)}\n` };
    case MessageType.FileXferStatus:
      return { type, id: rng.int(1, 8), result: rng.int(0, 7) };
    case MessageType.FileXferData:
      return { type, id: rng.int(1, 8), data: rng.bytes(rng.int(0, rng.chance(0.1) ? 65536 : 2048)) };
    case MessageType.ClientDisconnected:
      return { type };
    case MessageType.MaxClipboard:
      return { type, max: rng.int(-1, 1 << 20) };
    case MessageType.AudioVolumeSync:
      return { type, isPlayback: rng.chance(0.5), mute: rng.chance(0.5), volumes: Array.from({ length: rng.int(0, 8) }, () => rng.int(0, 65535)) };
    case MessageType.GraphicsDeviceInfo:
      return { type, devices: Array.from({ length: rng.int(0, 3) }, (_, i) => ({ channelId: 0, monitorId: i, deviceDisplayId: i, deviceAddress: `pci/0000/0${i}.0` })) };
  }
}

/** Flips a few random bits or bytes of a serialized message (its header included). */
function flipBytes(rng: SeededRandom, bytes: Buffer): void {
  for (let n = rng.int(1, 4); n > 0 && bytes.length > 0; n--) {
    const at = rng.chance(0.5) ? rng.int(0, Math.min(bytes.length, MESSAGE_HEADER_SIZE) - 1) : rng.int(0, bytes.length - 1);
    bytes[at] = rng.chance(0.5) ? (bytes[at] as number) ^ (1 << rng.int(0, 7)) : rng.int(0, 255);
  }
}

/** A message size that lies: a little off, zero, just past the chunk, huge, or past the agent's ceiling. */
function lyingSize(rng: SeededRandom, real: number): number {
  return rng.pick([Math.max(0, real + rng.int(-16, 16)), 0, real + rng.int(1, 4096), rng.int(0, 1 << 20), 128 * 1024 * 1024, 0xffffffff]);
}

/** One chunk with an honest header. */
function chunkOf(port: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(CHUNK_HEADER_SIZE + data.length);
  writeChunkHeader(out, port, data.length);
  data.copy(out, CHUNK_HEADER_SIZE);
  return out;
}

/** One piece of a stream and what it is made of. */
export interface StreamSegment {
  bytes: Buffer;
  /** Messages in it whose bytes were changed (flipped bytes or a lying size). */
  mutated: number;
  /** Whether it ends with a chunk layer the agent must resync after (port flip, lying chunk size). */
  breaksChunks: boolean;
}

/**
 * Mutated VDAgent streams: valid messages of all 16 types from the protocol encoders, some with
 * flipped bytes or a lying message size, cut into chunks of random sizes (1–2048, honest chunk
 * headers) on the port that type travels (sometimes the other one). A segment may end with the
 * chunk layer broken: a chunk on a foreign port, a chunk size past 2048, or a chunk size that
 * lies about the bytes that follow. The agent loses the stream there and reopens its port.
 */
export class VdagentStreamMutator {
  constructor(private readonly rng: SeededRandom) {}

  /** About `size` bytes (whole messages); ends with a broken chunk layer with probability `breakChance`. */
  segment(size: number, breakChance: number): StreamSegment {
    const rng = this.rng;
    const parts: Buffer[] = [];
    let length = 0;
    let mutated = 0;
    while (length < size) {
      const type = rng.int(1, 16) as MessageType;
      const message = serialize(validMessage(rng, type), ALL_CAPS);
      let changed = false;
      if (rng.chance(0.3)) {
        flipBytes(rng, message);
        changed = true;
      }
      if (rng.chance(0.05)) {
        message.writeUInt32LE(lyingSize(rng, message.length - MESSAGE_HEADER_SIZE) >>> 0, 16);
        changed = true;
      }
      if (changed) mutated++;
      const usual = SERVER_TYPES.has(type) ? ChunkPort.Server : ChunkPort.Client;
      const port = rng.chance(0.05) ? (usual === ChunkPort.Server ? ChunkPort.Client : ChunkPort.Server) : usual;
      // Mostly spice-gtk's cut (2048-byte pieces), often random boundaries.
      const random = rng.chance(0.5);
      for (let off = 0; off < message.length; ) {
        const n = Math.min(message.length - off, random ? rng.int(1, MAX_CHUNK_DATA_SIZE) : MAX_CHUNK_DATA_SIZE);
        const c = chunkOf(port, message.subarray(off, off + n));
        parts.push(c);
        length += c.length;
        off += n;
      }
    }
    const breaksChunks = rng.chance(breakChance);
    if (breaksChunks) parts.push(this.brokenChunk());
    return { bytes: Buffer.concat(parts), mutated, breaksChunks };
  }

  /**
   * A chunk layer the agent cannot follow: a foreign port, a size past 2048, or a size that lies
   * (the following bytes then read as chunk headers); ends with more than a chunk of 0xFF bytes,
   * so wherever the lie led, a header reads port 0xFFFFFFFF there and the stream is certainly lost.
   */
  private brokenChunk(): Buffer {
    const rng = this.rng;
    const data = rng.bytes(rng.int(0, 256));
    const header = Buffer.allocUnsafe(CHUNK_HEADER_SIZE);
    const kind = rng.int(0, 2);
    const port = kind === 0 ? rng.pick(FOREIGN_PORTS) : rng.int(1, 2);
    const size = kind === 1 ? rng.pick([MAX_CHUNK_DATA_SIZE + 1, 65536, 0xffffffff]) : kind === 2 ? rng.int(0, MAX_CHUNK_DATA_SIZE) : data.length;
    writeChunkHeader(header, port, size);
    return Buffer.concat([header, data, Buffer.alloc(CHUNK_HEADER_SIZE + MAX_CHUNK_DATA_SIZE + CHUNK_HEADER_SIZE, 0xff)]);
  }
}
