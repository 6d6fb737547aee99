import type { CapabilitySet } from './capabilities.js';
import type {
  ClipboardSelection,
  ClipboardType,
  FileXferErrorType,
  FileXferResult,
  MessageType,
  ReplyError,
} from './constants.js';

/** VDAgentMouseState (spec §8). */
export interface MouseStateMessage {
  type: MessageType.MouseState;
  x: number;
  y: number;
  /** VD_AGENT_*BUTTON_MASK bits. */
  buttons: number;
  displayId: number;
}

/** One VDAgentMonConfig entry, with its VDAgentMonitorMM when sent. */
export interface MonitorConfig {
  height: number;
  width: number;
  depth: number;
  x: number;
  y: number;
  /** Physical size in millimetres, present with the PHYSICAL_SIZE flag. */
  physical?: { heightMm: number; widthMm: number };
}

/** VDAgentMonitorsConfig (spec §9). */
export interface MonitorsConfigMessage {
  type: MessageType.MonitorsConfig;
  /** VD_AGENT_CONFIG_MONITORS_FLAG_* bits. */
  flags: number;
  monitors: MonitorConfig[];
}

/** VDAgentReply (spec §9). */
export interface ReplyMessage {
  type: MessageType.Reply;
  /** The message type acknowledged. */
  replyTo: number;
  error: ReplyError;
}

/** VDAgentClipboard: data answering a request (spec §7.3). */
export interface ClipboardMessage {
  type: MessageType.Clipboard;
  selection: ClipboardSelection;
  dataType: ClipboardType;
  data: Buffer;
}

/** VDAgentDisplayConfig (spec §11). */
export interface DisplayConfigMessage {
  type: MessageType.DisplayConfig;
  flags: number;
  depth: number;
}

/** VDAgentAnnounceCapabilities (spec §6.3). */
export interface AnnounceCapabilitiesMessage {
  type: MessageType.AnnounceCapabilities;
  /** True: the sender asks for our capabilities. */
  request: boolean;
  caps: CapabilitySet;
}

/** VDAgentClipboardGrab (spec §7.3). */
export interface ClipboardGrabMessage {
  type: MessageType.ClipboardGrab;
  selection: ClipboardSelection;
  /** Present when CLIPBOARD_GRAB_SERIAL is in effect. */
  serial?: number;
  types: ClipboardType[];
}

/** VDAgentClipboardRequest (spec §7.3). */
export interface ClipboardRequestMessage {
  type: MessageType.ClipboardRequest;
  selection: ClipboardSelection;
  dataType: ClipboardType;
}

/** VDAgentClipboardRelease (spec §7.3). */
export interface ClipboardReleaseMessage {
  type: MessageType.ClipboardRelease;
  selection: ClipboardSelection;
}

/** VDAgentFileXferStartMessage (spec §10.1). */
export interface FileXferStartMessage {
  type: MessageType.FileXferStart;
  id: number;
  /** The GLib key-file text, up to the first NUL. */
  keyfile: string;
}

/** Detail of a FILE_XFER_STATUS, sent only to peers with FILE_XFER_DETAILED_ERRORS. */
export type FileXferStatusDetail =
  | { kind: 'io-error'; errorType: FileXferErrorType; errorCode: number }
  | { kind: 'free-space'; bytes: bigint };

/** VDAgentFileXferStatusMessage (spec §10.1). */
export interface FileXferStatusMessage {
  type: MessageType.FileXferStatus;
  id: number;
  result: FileXferResult;
  /** Raw detail bytes as received (empty when none). */
  detail?: Buffer;
  /** Typed detail to send; dropped for peers without bit 14. */
  info?: FileXferStatusDetail;
}

/** VDAgentFileXferDataMessage (spec §10.1). */
export interface FileXferDataMessage {
  type: MessageType.FileXferData;
  id: number;
  data: Buffer;
}

/** VD_AGENT_CLIENT_DISCONNECTED (spec §13.1). */
export interface ClientDisconnectedMessage {
  type: MessageType.ClientDisconnected;
}

/** VDAgentMaxClipboard (spec §7.7). */
export interface MaxClipboardMessage {
  type: MessageType.MaxClipboard;
  /** Largest clipboard data the client accepts; -1 = no limit. */
  max: number;
}

/** VDAgentAudioVolumeSync (spec §12). */
export interface AudioVolumeSyncMessage {
  type: MessageType.AudioVolumeSync;
  isPlayback: boolean;
  mute: boolean;
  volumes: number[];
}

/** One VDAgentDeviceDisplayInfo (spec §13.2). */
export interface DeviceDisplayInfo {
  channelId: number;
  monitorId: number;
  deviceDisplayId: number;
  /** e.g. "pci/0000/02.0", without the NUL. */
  deviceAddress: string;
}

/** VDAgentGraphicsDeviceInfo (spec §13.2). */
export interface GraphicsDeviceInfoMessage {
  type: MessageType.GraphicsDeviceInfo;
  devices: DeviceDisplayInfo[];
}

/** Any typed VDAgent message. */
export type Message =
  | MouseStateMessage
  | MonitorsConfigMessage
  | ReplyMessage
  | ClipboardMessage
  | DisplayConfigMessage
  | AnnounceCapabilitiesMessage
  | ClipboardGrabMessage
  | ClipboardRequestMessage
  | ClipboardReleaseMessage
  | FileXferStartMessage
  | FileXferStatusMessage
  | FileXferDataMessage
  | ClientDisconnectedMessage
  | MaxClipboardMessage
  | AudioVolumeSyncMessage
  | GraphicsDeviceInfoMessage;

/** The message interface for a given type number. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
