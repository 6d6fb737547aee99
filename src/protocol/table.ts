import { FILE_XFER_DATA_CEILING, FILE_XFER_START_CEILING, GRAPHICS_DEVICE_INFO_CEILING, MONITORS_CONFIG_CEILING, ONE_CHUNK_PAYLOAD } from './ceilings.js';
import { Capability, isMessageType, MessageType } from './constants.js';
import type { CodecContext } from './context.js';
import type { Message, MessageOf } from './messages.js';
import { decodeClipboard, decodeClipboardGrab, decodeClipboardRelease, decodeClipboardRequest, decodeMaxClipboard, encodeClipboard, encodeClipboardParts, encodeClipboardGrab, encodeClipboardRelease, encodeClipboardRequest, encodeMaxClipboard } from './payloads/clipboard.js';
import { decodeFileXferData, decodeFileXferStart, decodeFileXferStatus, encodeFileXferData, encodeFileXferDataParts, encodeFileXferStart, encodeFileXferStatus } from './payloads/file-xfer.js';
import { decodeGraphicsDeviceInfo, encodeGraphicsDeviceInfo } from './payloads/graphics-device-info.js';
import { decodeAnnounce, decodeAudioVolumeSync, decodeClientDisconnected, decodeDisplayConfig, encodeAnnounce, encodeAudioVolumeSync, encodeClientDisconnected, encodeDisplayConfig } from './payloads/misc.js';
import { decodeMonitorsConfig, decodeReply, encodeMonitorsConfig, encodeReply } from './payloads/monitors.js';
import { decodeMouseState, encodeMouseState } from './payloads/mouse.js';

/** One row of the message table. */
export interface MessageSpec<M extends Message> {
  /** The name in vd_agent.h, without the VD_AGENT_ prefix. */
  name: string;
  /** The capability that governs the message, if any (spec §5.1). */
  capability?: Capability;
  /** Largest declared payload accepted (ceilings.ts); absent for CLIPBOARD: the configured ceiling. */
  maxSize?: number;
  /** Payload → typed message; throws VdagentError (drop severity). */
  decode(payload: Buffer, ctx: CodecContext): M;
  /** Typed message → payload. */
  encode(message: M, ctx: CodecContext): Buffer;
  /** Typed message → payload as consecutive parts (for a message carrying bulk data: the data is not copied). */
  encodeParts?(message: M, ctx: CodecContext): Uint8Array[];
  /** Whether the decoded message holds views of the payload's bytes (its data), not only values read from them. */
  keepsPayload?: true;
}

type Table = { [T in MessageType]: MessageSpec<MessageOf<T>> };

/** The message table: all 16 types, their size ceilings and rules (in decode), capability, decode and encode. */
export const MESSAGE_TABLE: Table = {
  [MessageType.MouseState]: { name: 'MOUSE_STATE', capability: Capability.MouseState, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeMouseState, encode: encodeMouseState },
  [MessageType.MonitorsConfig]: { name: 'MONITORS_CONFIG', capability: Capability.MonitorsConfig, maxSize: MONITORS_CONFIG_CEILING, decode: decodeMonitorsConfig, encode: encodeMonitorsConfig },
  [MessageType.Reply]: { name: 'REPLY', capability: Capability.Reply, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeReply, encode: encodeReply },
  [MessageType.Clipboard]: { name: 'CLIPBOARD', capability: Capability.ClipboardByDemand, decode: decodeClipboard, encode: encodeClipboard, encodeParts: encodeClipboardParts, keepsPayload: true },
  [MessageType.DisplayConfig]: { name: 'DISPLAY_CONFIG', capability: Capability.DisplayConfig, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeDisplayConfig, encode: encodeDisplayConfig },
  [MessageType.AnnounceCapabilities]: { name: 'ANNOUNCE_CAPABILITIES', maxSize: ONE_CHUNK_PAYLOAD, decode: decodeAnnounce, encode: encodeAnnounce },
  [MessageType.ClipboardGrab]: { name: 'CLIPBOARD_GRAB', capability: Capability.ClipboardByDemand, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeClipboardGrab, encode: encodeClipboardGrab },
  [MessageType.ClipboardRequest]: { name: 'CLIPBOARD_REQUEST', capability: Capability.ClipboardByDemand, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeClipboardRequest, encode: encodeClipboardRequest },
  [MessageType.ClipboardRelease]: { name: 'CLIPBOARD_RELEASE', capability: Capability.ClipboardByDemand, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeClipboardRelease, encode: encodeClipboardRelease },
  [MessageType.FileXferStart]: { name: 'FILE_XFER_START', maxSize: FILE_XFER_START_CEILING, decode: decodeFileXferStart, encode: encodeFileXferStart },
  [MessageType.FileXferStatus]: { name: 'FILE_XFER_STATUS', capability: Capability.FileXferDetailedErrors, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeFileXferStatus, encode: encodeFileXferStatus, keepsPayload: true },
  [MessageType.FileXferData]: { name: 'FILE_XFER_DATA', maxSize: FILE_XFER_DATA_CEILING, decode: decodeFileXferData, encode: encodeFileXferData, encodeParts: encodeFileXferDataParts, keepsPayload: true },
  [MessageType.ClientDisconnected]: { name: 'CLIENT_DISCONNECTED', maxSize: ONE_CHUNK_PAYLOAD, decode: decodeClientDisconnected, encode: encodeClientDisconnected },
  [MessageType.MaxClipboard]: { name: 'MAX_CLIPBOARD', capability: Capability.MaxClipboard, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeMaxClipboard, encode: encodeMaxClipboard },
  [MessageType.AudioVolumeSync]: { name: 'AUDIO_VOLUME_SYNC', capability: Capability.AudioVolumeSync, maxSize: ONE_CHUNK_PAYLOAD, decode: decodeAudioVolumeSync, encode: encodeAudioVolumeSync },
  [MessageType.GraphicsDeviceInfo]: { name: 'GRAPHICS_DEVICE_INFO', capability: Capability.GraphicsDeviceInfo, maxSize: GRAPHICS_DEVICE_INFO_CEILING, decode: decodeGraphicsDeviceInfo, encode: encodeGraphicsDeviceInfo },
};

/** The vd_agent.h name of a message type, or `TYPE_<n>` for unknown numbers. */
export function messageName(type: number): string {
  return (MESSAGE_TABLE as Partial<Record<number, { name: string }>>)[type]?.name ?? `TYPE_${type}`;
}

/** The largest declared payload accepted for a message type: its own ceiling, never above `maxMessageSize`. */
export function payloadCeiling(type: number, maxMessageSize: number): number {
  const own = isMessageType(type) ? MESSAGE_TABLE[type].maxSize : undefined;
  return own === undefined ? maxMessageSize : Math.min(own, maxMessageSize);
}

/** Whether a type's decoded message holds views of its payload (unknown types: assumed to). */
export function keepsPayload(type: number): boolean {
  return !isMessageType(type) || MESSAGE_TABLE[type].keepsPayload === true;
}
