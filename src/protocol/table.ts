import { Capability, MessageType } from './constants.js';
import type { CodecContext } from './context.js';
import type { Message, MessageOf } from './messages.js';
import { decodeClipboard, decodeClipboardGrab, decodeClipboardRelease, decodeClipboardRequest, decodeMaxClipboard, encodeClipboard, encodeClipboardGrab, encodeClipboardRelease, encodeClipboardRequest, encodeMaxClipboard } from './payloads/clipboard.js';
import { decodeFileXferData, decodeFileXferStart, decodeFileXferStatus, encodeFileXferData, encodeFileXferStart, encodeFileXferStatus } from './payloads/file-xfer.js';
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
  /** Payload → typed message; throws VdagentError (drop severity). */
  decode(payload: Buffer, ctx: CodecContext): M;
  /** Typed message → payload. */
  encode(message: M, ctx: CodecContext): Buffer;
}

type Table = { [T in MessageType]: MessageSpec<MessageOf<T>> };

/** The message table: all 16 types, their size rules (in decode), capability, decode and encode. */
export const MESSAGE_TABLE: Table = {
  [MessageType.MouseState]: { name: 'MOUSE_STATE', capability: Capability.MouseState, decode: decodeMouseState, encode: encodeMouseState },
  [MessageType.MonitorsConfig]: { name: 'MONITORS_CONFIG', capability: Capability.MonitorsConfig, decode: decodeMonitorsConfig, encode: encodeMonitorsConfig },
  [MessageType.Reply]: { name: 'REPLY', capability: Capability.Reply, decode: decodeReply, encode: encodeReply },
  [MessageType.Clipboard]: { name: 'CLIPBOARD', capability: Capability.ClipboardByDemand, decode: decodeClipboard, encode: encodeClipboard },
  [MessageType.DisplayConfig]: { name: 'DISPLAY_CONFIG', capability: Capability.DisplayConfig, decode: decodeDisplayConfig, encode: encodeDisplayConfig },
  [MessageType.AnnounceCapabilities]: { name: 'ANNOUNCE_CAPABILITIES', decode: decodeAnnounce, encode: encodeAnnounce },
  [MessageType.ClipboardGrab]: { name: 'CLIPBOARD_GRAB', capability: Capability.ClipboardByDemand, decode: decodeClipboardGrab, encode: encodeClipboardGrab },
  [MessageType.ClipboardRequest]: { name: 'CLIPBOARD_REQUEST', capability: Capability.ClipboardByDemand, decode: decodeClipboardRequest, encode: encodeClipboardRequest },
  [MessageType.ClipboardRelease]: { name: 'CLIPBOARD_RELEASE', capability: Capability.ClipboardByDemand, decode: decodeClipboardRelease, encode: encodeClipboardRelease },
  [MessageType.FileXferStart]: { name: 'FILE_XFER_START', decode: decodeFileXferStart, encode: encodeFileXferStart },
  [MessageType.FileXferStatus]: { name: 'FILE_XFER_STATUS', capability: Capability.FileXferDetailedErrors, decode: decodeFileXferStatus, encode: encodeFileXferStatus },
  [MessageType.FileXferData]: { name: 'FILE_XFER_DATA', decode: decodeFileXferData, encode: encodeFileXferData },
  [MessageType.ClientDisconnected]: { name: 'CLIENT_DISCONNECTED', decode: decodeClientDisconnected, encode: encodeClientDisconnected },
  [MessageType.MaxClipboard]: { name: 'MAX_CLIPBOARD', capability: Capability.MaxClipboard, decode: decodeMaxClipboard, encode: encodeMaxClipboard },
  [MessageType.AudioVolumeSync]: { name: 'AUDIO_VOLUME_SYNC', capability: Capability.AudioVolumeSync, decode: decodeAudioVolumeSync, encode: encodeAudioVolumeSync },
  [MessageType.GraphicsDeviceInfo]: { name: 'GRAPHICS_DEVICE_INFO', capability: Capability.GraphicsDeviceInfo, decode: decodeGraphicsDeviceInfo, encode: encodeGraphicsDeviceInfo },
};

/** The vd_agent.h name of a message type, or `TYPE_<n>` for unknown numbers. */
export function messageName(type: number): string {
  return (MESSAGE_TABLE as Partial<Record<number, { name: string }>>)[type]?.name ?? `TYPE_${type}`;
}
