import { CapabilitySet } from '../capabilities.js';
import { MessageType } from '../constants.js';
import { expectSize, Writer } from '../bytes.js';
import { ErrorCode, VdagentError } from '../errors.js';
import type {
  AnnounceCapabilitiesMessage,
  AudioVolumeSyncMessage,
  ClientDisconnectedMessage,
  DisplayConfigMessage,
} from '../messages.js';

/** Decodes ANNOUNCE_CAPABILITIES: request and any number of caps words (spec §6.2). */
export function decodeAnnounce(p: Buffer): AnnounceCapabilitiesMessage {
  expectSize('ANNOUNCE_CAPABILITIES', p.length, 'at least', 4);
  const words: number[] = [];
  for (let o = 4; o + 4 <= p.length; o += 4) words.push(p.readUInt32LE(o));
  return { type: MessageType.AnnounceCapabilities, request: p.readUInt32LE(0) !== 0, caps: CapabilitySet.fromWords(words) };
}

/** Encodes ANNOUNCE_CAPABILITIES with at least one caps word. */
export function encodeAnnounce(m: AnnounceCapabilitiesMessage): Buffer {
  const words = m.caps.toWords();
  const w = new Writer(4 + 4 * words.length).u32(m.request ? 1 : 0);
  for (const word of words) w.u32(word);
  return w.buf;
}

/** Decodes DISPLAY_CONFIG: exactly 8 bytes. */
export function decodeDisplayConfig(p: Buffer): DisplayConfigMessage {
  expectSize('DISPLAY_CONFIG', p.length, 'exactly', 8);
  return { type: MessageType.DisplayConfig, flags: p.readUInt32LE(0), depth: p.readUInt32LE(4) };
}

/** Encodes DISPLAY_CONFIG. */
export function encodeDisplayConfig(m: DisplayConfigMessage): Buffer {
  return new Writer(8).u32(m.flags).u32(m.depth).buf;
}

/** Decodes CLIENT_DISCONNECTED: exactly 0 bytes. */
export function decodeClientDisconnected(p: Buffer): ClientDisconnectedMessage {
  expectSize('CLIENT_DISCONNECTED', p.length, 'exactly', 0);
  return { type: MessageType.ClientDisconnected };
}

/** Encodes CLIENT_DISCONNECTED. */
export function encodeClientDisconnected(): Buffer {
  return Buffer.alloc(0);
}

/**
 * Decodes AUDIO_VOLUME_SYNC: exactly 3 + 2·nchannels bytes (spec §12, "check it"). spice-vdagentd
 * also takes a longer payload; a channel count that disagrees with the size either way is a broken
 * or forged message here, and dropped.
 */
export function decodeAudioVolumeSync(p: Buffer): AudioVolumeSyncMessage {
  expectSize('AUDIO_VOLUME_SYNC', p.length, 'at least', 3);
  const n = p.readUInt8(2);
  if (p.length !== 3 + 2 * n) throw new VdagentError(ErrorCode.BadPayloadSize, `AUDIO_VOLUME_SYNC: ${n} channels need ${3 + 2 * n} bytes, got ${p.length}`);
  const volumes: number[] = [];
  for (let i = 0; i < n; i++) volumes.push(p.readUInt16LE(3 + 2 * i));
  return { type: MessageType.AudioVolumeSync, isPlayback: p.readUInt8(0) !== 0, mute: p.readUInt8(1) !== 0, volumes };
}

/** Encodes AUDIO_VOLUME_SYNC. */
export function encodeAudioVolumeSync(m: AudioVolumeSyncMessage): Buffer {
  const w = new Writer(3 + 2 * m.volumes.length).u8(m.isPlayback ? 1 : 0).u8(m.mute ? 1 : 0).u8(m.volumes.length);
  for (const v of m.volumes) w.u16(v);
  return w.buf;
}
